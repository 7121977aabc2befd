/// Cut times `offset + interval × k` for k = 1…count: a plan computed on demand, never stored, so a tiny interval
/// over a long source costs nothing until the cutter gets there.
public struct CutTimes: RandomAccessCollection, Sendable, Equatable {
  public let interval: Double
  public let offset: Double
  public let count: Int

  public init(interval: Double, count: Int, offset: Double = 0) {
    precondition(interval > 0 && count >= 0, "cut times need a positive interval")
    self.interval = interval
    self.count = count
    self.offset = offset
  }

  public static let none = CutTimes(interval: 1, count: 0)

  public var startIndex: Int { 0 }
  public var endIndex: Int { count }
  public subscript(position: Int) -> Double { offset + interval * Double(position + 1) }

  /// The same cuts on a clock that starts `seconds` later.
  public func shifted(by seconds: Double) -> CutTimes {
    CutTimes(interval: interval, count: count, offset: offset + seconds)
  }

  /// The index of the first cut after `seconds` (+ `tolerance`), at or past the ones before `from`.
  func firstIndex(after seconds: Double, tolerance: Double, from: Int) -> Int {
    var index = Swift.max(from, Int(((seconds + tolerance - offset) / interval).rounded(.down)) - 1)
    index = Swift.max(from, Swift.min(index, count))
    while index < count, self[index] <= seconds + tolerance { index += 1 }
    return index
  }
}
