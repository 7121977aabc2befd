import Foundation

/// The part requests of every body one uploader sends while it is written (`chunk --to`'s chunks): at most `count`
/// at once over them all, and when several wait, the oldest body's go first. So the end of the oldest chunk (its
/// tail and part 1, which its Complete, copy and record wait for) is not queued behind the next chunks' parts, and
/// the link is not split among every chunk in flight. `lock` guards `bodies`.
final class PartTurns: @unchecked Sendable {
  let slots: OldestFirstSlots
  private let lock = NSLock()
  private var bodies = 0

  init(count: Int = 4) { slots = OldestFirstSlots(count: count) }

  /// The turn of the next body to start: later than every body started before it.
  func nextBody() -> Int {
    lock.withLock {
      defer { bodies += 1 }
      return bodies
    }
  }
}
