import CliplineBlobStores
import CliplineSystem
import Foundation
import XCTest

final class OldestFirstSlotsTests: XCTestCase {
  /// Waiters that arrived in the order 5, 3, 9, 1 are let in as 1, 3, 5, 9: the oldest record's upload first.
  func testWaitersGoInOrderOfTheirNumberNotOfTheirArrival() throws {
    let lock = OldestFirstSlots(count: 1)
    let entered = Entries()
    let holding = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      lock.withSlot(order: 0) {
        holding.signal()
        release.wait()
      }
    }
    holding.wait()
    let done = DispatchGroup()
    for (arrived, order) in [5, 3, 9, 1].enumerated() {
      done.enter()
      Thread.detachNewThread {
        lock.withSlot(order: order) { entered.append(order) }
        done.leave()
      }
      try waitUntil("waiter \(order) queued") { lock.waiters == arrived + 1 }
    }
    release.signal()
    XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
    XCTAssertEqual(entered.values, [1, 3, 5, 9])
    XCTAssertEqual(lock.waiters, 0)
  }

  /// A holder alone never waits, a throwing body releases the lock, and equal numbers both get their turn.
  func testAThrowingHolderReleasesAndEqualOrdersBothRun() throws {
    let lock = OldestFirstSlots(count: 1)
    struct Failure: Error {}
    XCTAssertThrowsError(try lock.withSlot(order: 7) { throw Failure() })
    let entered = Entries()
    let done = DispatchGroup()
    for _ in 0..<2 {
      done.enter()
      Thread.detachNewThread {
        lock.withSlot(order: 4) { entered.append(4) }
        done.leave()
      }
    }
    XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
    XCTAssertEqual(entered.values, [4, 4])
    XCTAssertEqual(lock.withSlot(order: 1) { 42 }, 42)
  }

  /// Two slots: two holders at once, and the third (the oldest waiting) goes in when one leaves.
  func testTwoSlotsHoldTwoAtOnceAndTheOldestWaiterGoesNext() throws {
    let slots = OldestFirstSlots(count: 2)
    let entered = Entries()
    let inside = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    let done = DispatchGroup()
    for order in [10, 11] {
      done.enter()
      Thread.detachNewThread {
        slots.withSlot(order: order) {
          inside.signal()
          release.wait()
        }
        done.leave()
      }
    }
    inside.wait()
    inside.wait()  // both holders are in at once
    for (arrived, order) in [8, 2].enumerated() {
      done.enter()
      Thread.detachNewThread {
        slots.withSlot(order: order) { entered.append(order) }
        done.leave()
      }
      try waitUntil("waiter \(order) queued") { slots.waiters == arrived + 1 }
    }
    // One holder leaves: only one slot is free, so the oldest waiter (2) goes first, and 8 only once 2 is done.
    release.signal()
    try waitUntil("both waiters ran") { entered.values.count == 2 }
    XCTAssertEqual(entered.values, [2, 8])
    release.signal()
    XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
  }

}

extension XCTestCase {
  /// Polls `condition` every millisecond for up to 30 s (threads queueing on a lock: no event to wait on).
  func waitUntil(_ what: String, _ condition: () -> Bool) throws {
    let deadline = Date().addingTimeInterval(30)
    while !condition() {
      guard Date() < deadline else {
        XCTFail("never happened: \(what)")
        throw CancellationError()
      }
      usleep(1_000)
    }
  }
}

/// Numbers appended from several threads.
final class Entries: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: [Int] = []
  func append(_ value: Int) { lock.withLock { stored.append(value) } }
  var values: [Int] { lock.withLock { stored } }
}
