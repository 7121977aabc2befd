import Foundation

/// An error that says how long the server asked us to wait (`Retry-After`).
public protocol RetryAfterProviding: Error {
  var retryAfter: Double? { get }
}

/// Exponential backoff with full jitter for network calls. By default only temporary failures
/// (exit 75: timeouts, throttling, 5xx) are retried; the last error is rethrown as it was.
public struct RetryPolicy: Sendable {
  public var attempts: Int
  public var baseDelay: Double
  public var maximumDelay: Double

  public init(attempts: Int = 5, baseDelay: Double = 0.2, maximumDelay: Double = 10) {
    self.attempts = max(1, attempts)
    self.baseDelay = baseDelay
    self.maximumDelay = maximumDelay
  }

  public static let none = RetryPolicy(attempts: 1)

  /// The wait before retry number `attempt` (1-based): random in [0, min(max, base·2^(attempt-1))]; a server's
  /// `Retry-After` is taken as it is, but never beyond `maximumDelay`.
  public func delay(beforeRetry attempt: Int, after error: Error? = nil) -> Double {
    if let hinted = (error as? RetryAfterProviding)?.retryAfter, !hinted.isNaN {
      return min(max(0, hinted), maximumDelay)
    }
    let ceiling = min(maximumDelay, baseDelay * pow(2, Double(attempt - 1)))
    return Double.random(in: 0...ceiling)
  }

  public func run<T>(
    isRetryable: (Error) -> Bool = { ExitStatus.of($0) == .temporaryFailure },
    onRetry: (_ error: Error, _ attempt: Int, _ delay: Double) -> Void = { _, _, _ in },
    _ body: (_ attempt: Int) throws -> T
  ) throws -> T {
    var attempt = 1
    while true {
      do {
        return try body(attempt)
      } catch {
        guard attempt < attempts, isRetryable(error), !ShutdownSignal.shared.isRequested else { throw error }
        let wait = delay(beforeRetry: attempt, after: error)
        onRetry(error, attempt, wait)
        // A signal during the wait ends it: the last error is rethrown, as when attempts run out.
        if ShutdownSignal.shared.sleep(wait) { throw error }
        attempt += 1
      }
    }
  }
}
