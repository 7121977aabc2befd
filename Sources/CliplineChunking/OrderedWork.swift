import CliplineSystem
import Foundation

/// Work items run one after another on a background thread, in submission order; the first error is kept,
/// later items are skipped, and `wait()` rethrows it.
final class OrderedWork: @unchecked Sendable {  // `lock` guards `failure`
  private let thread = ThreadPool(width: 1, backlog: 1)
  private let lock = NSLock()
  private var failure: Error?

  func submit(_ work: @escaping () throws -> Void) {
    thread.submit {
      guard self.lock.withLock({ self.failure == nil }) else { return }
      do {
        try work()
      } catch {
        self.lock.withLock { if self.failure == nil { self.failure = error } }
      }
    }
  }

  /// Throws the first failure so far, without waiting.
  func check() throws {
    if let failure = lock.withLock({ failure }) { throw failure }
  }

  /// Waits for everything submitted, then throws the first failure if there was one.
  func wait() throws {
    thread.waitUntilIdle()
    try check()
  }
}
