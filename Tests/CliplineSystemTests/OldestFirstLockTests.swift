import CliplineSystem
import Foundation
import XCTest

final class OldestFirstLockTests: XCTestCase {
  /// Waiters that arrived in the order 5, 3, 9, 1 are let in as 1, 3, 5, 9: the oldest record's upload first.
  func testWaitersGoInOrderOfTheirNumberNotOfTheirArrival() throws {
    let lock = OldestFirstLock()
    let entered = Entries()
    let holding = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      lock.withLock(order: 0) {
        holding.signal()
        release.wait()
      }
    }
    holding.wait()
    let done = DispatchGroup()
    for (arrived, order) in [5, 3, 9, 1].enumerated() {
      done.enter()
      Thread.detachNewThread {
        lock.withLock(order: order) { entered.append(order) }
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
    let lock = OldestFirstLock()
    struct Failure: Error {}
    XCTAssertThrowsError(try lock.withLock(order: 7) { throw Failure() })
    let entered = Entries()
    let done = DispatchGroup()
    for _ in 0..<2 {
      done.enter()
      Thread.detachNewThread {
        lock.withLock(order: 4) { entered.append(4) }
        done.leave()
      }
    }
    XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
    XCTAssertEqual(entered.values, [4, 4])
    XCTAssertEqual(lock.withLock(order: 1) { 42 }, 42)
  }

  private func waitUntil(_ what: String, _ condition: () -> Bool) throws {
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
private final class Entries: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: [Int] = []
  func append(_ value: Int) { lock.withLock { stored.append(value) } }
  var values: [Int] { lock.withLock { stored } }
}
