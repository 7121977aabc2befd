import CliplineSystem
import XCTest

/// A server's Retry-After never makes a tool wait beyond its policy's maximum delay (issue 9, item 6).
final class RetryWaitTests: XCTestCase {
  struct Throttled: RetryAfterProviding {
    let retryAfter: Double?
  }

  func testRetryAfterIsCappedAtTheMaximumDelay() {
    let policy = RetryPolicy(attempts: 5, baseDelay: 0.2, maximumDelay: 10)
    XCTAssertEqual(policy.delay(beforeRetry: 1, after: Throttled(retryAfter: 30)), 10)
    XCTAssertEqual(policy.delay(beforeRetry: 1, after: Throttled(retryAfter: 3)), 3)
    XCTAssertEqual(policy.delay(beforeRetry: 1, after: Throttled(retryAfter: -5)), 0)
    XCTAssertEqual(policy.delay(beforeRetry: 1, after: Throttled(retryAfter: .infinity)), 10)
    XCTAssertLessThanOrEqual(policy.delay(beforeRetry: 1, after: Throttled(retryAfter: .nan)), 0.2)
  }

  func testTheShutdownSleepWaitsWhenNoSignalCame() {
    XCTAssertFalse(ShutdownSignal.shared.isRequested)
    let started = Date()
    XCTAssertFalse(ShutdownSignal.shared.sleep(0.1))
    XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.1)
    XCTAssertFalse(ShutdownSignal.shared.sleep(-1))
    XCTAssertFalse(ShutdownSignal.shared.sleep(.nan))
  }

  func testOneErrorForAStopBySignal() {
    XCTAssertEqual(ExitStatus.of(StoppedBySignal()), .temporaryFailure)
    XCTAssertEqual("\(StoppedBySignal())", "stopped by a signal before the work was done")
    XCTAssertEqual("\(StoppedBySignal("before this task"))", "stopped by a signal before this task")
  }
}
