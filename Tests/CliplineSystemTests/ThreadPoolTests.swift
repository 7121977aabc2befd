import CliplineSystem
import Foundation
import XCTest

final class ThreadPoolTests: XCTestCase {
  func testRunsAtMostWidthJobsAtOnceAndAllOfThem() {
    let pool = ThreadPool(width: 3)
    let counter = Counter()
    for _ in 0..<30 {
      pool.submit {
        counter.enter()
        usleep(2_000)
        counter.leave()
      }
    }
    pool.waitUntilIdle()
    XCTAssertEqual(counter.finished, 30)
    XCTAssertEqual(counter.mostAtOnce, 3)
  }

  func testSubmitWaitsWhileThePoolIsFull() {
    let pool = ThreadPool(width: 1)
    let release = DispatchSemaphore(value: 0)
    pool.submit { release.wait() }
    let secondQueued = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      pool.submit {}
      secondQueued.signal()
    }
    XCTAssertEqual(secondQueued.wait(timeout: .now() + 0.3), .timedOut, "the second submit waits for a free thread")
    release.signal()
    XCTAssertEqual(secondQueued.wait(timeout: .now() + 10), .success)
    pool.waitUntilIdle()
  }

  func testJobsStartInSubmissionOrder() {
    let pool = ThreadPool(width: 1, backlog: 8)
    let order = Counter()
    for index in 0..<8 { pool.submit { order.append(index) } }
    pool.waitUntilIdle()
    XCTAssertEqual(order.values, Array(0..<8))
  }

  func testThreadsEndWhenThePoolIsReleased() throws {
    var during = 0
    do {
      let pool = ThreadPool(width: 4)
      pool.submit {}
      pool.waitUntilIdle()
      during = try threadCount()
    }
    var after = try threadCount()
    for _ in 0..<200 where after > during - 4 {
      usleep(10_000)
      after = try threadCount()
    }
    XCTAssertLessThanOrEqual(after, during - 4, "the pool's four threads ended")
  }

  private func threadCount() throws -> Int {
    try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count
  }
}

private final class Counter: @unchecked Sendable {  // `lock` guards every stored property
  private let lock = NSLock()
  private var current = 0
  private(set) var mostAtOnce = 0
  private(set) var finished = 0
  private(set) var values: [Int] = []

  func enter() {
    lock.withLock {
      current += 1
      mostAtOnce = max(mostAtOnce, current)
    }
  }

  func leave() {
    lock.withLock {
      current -= 1
      finished += 1
    }
  }

  func append(_ value: Int) { lock.withLock { values.append(value) } }
}
