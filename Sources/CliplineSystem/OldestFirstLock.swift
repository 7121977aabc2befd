import Foundation

/// A lock that, when several threads wait for it, goes to the one with the lowest order number (the oldest record):
/// work that shares one resource (a link already filled by one transfer's parallel parts) finishes item by item,
/// in input order, instead of every item finishing late together. A holder that arrives alone never waits.
/// `condition` guards `held` and `waiting`.
public final class OldestFirstLock: @unchecked Sendable {
  private let condition = NSCondition()
  private var held = false
  private var waiting: [Int] = []

  public init() {}

  /// How many threads wait for the lock now (tests, diagnostics).
  public var waiters: Int { condition.withLock { waiting.count } }

  /// Runs `body` holding the lock; among waiters, the lowest `order` is let in first.
  public func withLock<Result>(order: Int, _ body: () throws -> Result) rethrows -> Result {
    condition.lock()
    waiting.append(order)
    while held || waiting.min() != order { condition.wait() }
    waiting.remove(at: waiting.firstIndex(of: order)!)
    held = true
    condition.unlock()
    defer {
      condition.lock()
      held = false
      condition.broadcast()
      condition.unlock()
    }
    return try body()
  }
}
