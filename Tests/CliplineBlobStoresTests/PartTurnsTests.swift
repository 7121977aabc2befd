import CliplineSystem
import Foundation
import XCTest

@testable import CliplineBlobStores

final class PartTurnsTests: XCTestCase {
  /// Bodies take turns in the order they start, over one set of slots; the part of a later body waits while an
  /// earlier body's waits, whatever the arrival.
  func testALaterBodysPartWaitsBehindAnEarlierBodysPart() throws {
    let turns = PartTurns(count: 1)
    let (first, second) = (turns.nextBody(), turns.nextBody())
    XCTAssertLessThan(first, second)
    let entered = Entries()
    let holding = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      turns.slots.withSlot(order: second) {
        holding.signal()
        release.wait()
      }
    }
    holding.wait()
    let done = DispatchGroup()
    for (arrived, order) in [second, first].enumerated() {
      done.enter()
      Thread.detachNewThread {
        turns.slots.withSlot(order: order) { entered.append(order) }
        done.leave()
      }
      try waitUntil("body \(order)'s part queued") { turns.slots.waiters == arrived + 1 }
    }
    release.signal()
    XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
    XCTAssertEqual(entered.values, [first, second], "the earlier body's part went first")
    XCTAssertEqual(PartTurns().slots.count, 4, "four part requests at once over every body")
  }
}
