import CliplineMedia

/// Where the chunks of a video begin: every `chunkDuration` seconds, except that a remainder shorter than
/// `mergeLastUnder` joins the chunk before it (as M0 does) instead of becoming a chunk of its own.
public struct ChunkPlanner: Sendable, Equatable {
  public let chunkDuration: Double
  public let mergeLastUnder: Double

  /// By default a last piece under a quarter of a chunk is merged.
  public init(chunkDuration: Double, mergeLastUnder: Double? = nil) {
    precondition(chunkDuration > 0, "chunkDuration must be positive")
    self.chunkDuration = chunkDuration
    self.mergeLastUnder = mergeLastUnder ?? chunkDuration / 4
  }

  /// The nominal cut times, in seconds from the start, for a video of `duration` seconds: counted, not listed.
  public func boundaries(forDuration duration: Double) -> CutTimes {
    // Tiny epsilon: a 300.000 s video with 60 s chunks has 5 chunks, not a 6th of 0.000 s.
    func isCut(_ k: Int) -> Bool {
      let cut = chunkDuration * Double(k)
      return cut < duration - 1e-6 && duration - cut >= mergeLastUnder
    }
    guard duration.isFinite, duration > 0 else { return .none }
    var count = max(0, Int(min(duration / chunkDuration, Double(Int.max / 2)).rounded(.down)))
    while count > 0 && !isCut(count) { count -= 1 }
    while isCut(count + 1) { count += 1 }
    return CutTimes(interval: chunkDuration, count: count)
  }
}
