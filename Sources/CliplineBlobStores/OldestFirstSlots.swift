import CliplineSystem
import Foundation

/// A few slots (a semaphore) that, when several threads wait, go to the one with the lowest order number (the
/// oldest record): work that shares one resource (a link, a storage server) finishes item by item, in input order,
/// instead of every item finishing late together. A holder that finds a free slot never waits.
/// `condition` guards `held` and `waiting`.
public final class OldestFirstSlots: @unchecked Sendable {
  public let count: Int
  private let condition = NSCondition()
  private var held = 0
  private var waiting: [Int] = []

  public init(count: Int) { self.count = max(1, count) }

  /// How many threads wait for a slot now (tests, diagnostics).
  public var waiters: Int { condition.withLock { waiting.count } }

  /// Runs `body` holding a slot; among waiters, the lowest `order` gets the next free one.
  public func withSlot<Result>(order: Int, _ body: () throws -> Result) rethrows -> Result {
    condition.lock()
    waiting.append(order)
    while held >= count || waiting.min() != order { condition.wait() }
    if let mine = waiting.firstIndex(of: order) { waiting.remove(at: mine) }
    held += 1
    // Another slot may be free for the next oldest waiter.
    condition.broadcast()
    condition.unlock()
    defer {
      condition.lock()
      held -= 1
      condition.broadcast()
      condition.unlock()
    }
    return try body()
  }
}
