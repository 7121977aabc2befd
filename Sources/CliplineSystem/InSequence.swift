/// Results that finish out of order, handed on in their sequence order: each as soon as every earlier one has
/// finished. Not thread-safe: whoever finishes them from several threads holds a lock around `finish` and `skip`.
public struct InSequence<Value> {
  private var waiting: [Int: Value] = [:]
  private var next = 0

  public init() {}

  /// Stores result number `sequence` (from 0) and returns the results now ready, in order.
  public mutating func finish(_ sequence: Int, _ value: Value) -> [Value] {
    waiting[sequence] = value
    var ready: [Value] = []
    while let value = waiting.removeValue(forKey: next) {
      ready.append(value)
      next += 1
    }
    return ready
  }

  /// Forgets what is waiting and starts again at `sequence` (numbers before it will never finish).
  public mutating func skip(to sequence: Int) {
    waiting = [:]
    next = sequence
  }
}
