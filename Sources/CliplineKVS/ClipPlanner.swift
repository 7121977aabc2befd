import Foundation

/// One GetClip request of a longer clip.
public struct ClipPiece: Sendable, Equatable {
  public let start: Date
  public let end: Date
  public let fragmentCount: Int
  public let bytes: Int64
}

/// Splits a range into GetClip requests that each stay within GetClip's limits: at most 200 fragments,
/// 100 MB and 24 hours. Pieces start exactly on a fragment, so GetClip (which drops a fragment that starts before
/// the start time) loses nothing between them, and each piece ends where the next one starts (or, across a gap of
/// more than 24 h, 24 h after its own start).
public struct ClipPlanner: Sendable {
  public var maximumFragments = 200
  public var maximumBytes: Int64 = 100 * 1024 * 1024
  public var maximumRange: Double = 24 * 3600

  public init() {}

  /// - Parameters:
  ///   - fragments: in time order, each starting within the clip.
  ///   - start, end: the range asked for; the first piece starts at `start`, the last ends at `end`.
  public func plan(_ fragments: [KVSFragment], start: Date, end: Date) -> [ClipPiece] {
    var groups: [[KVSFragment]] = []
    var current: [KVSFragment] = []
    var currentBytes: Int64 = 0
    for fragment in fragments {
      if let first = current.first {
        let tooMany = current.count >= maximumFragments
        let tooBig = currentBytes + fragment.bytes > maximumBytes
        let tooLong = fragment.end.timeIntervalSince(first.start) > maximumRange
        if tooMany || tooBig || tooLong {
          groups.append(current)
          current = []
          currentBytes = 0
        }
      }
      current.append(fragment)
      currentBytes += fragment.bytes
    }
    if !current.isEmpty { groups.append(current) }
    return groups.enumerated().map { index, group in
      // A piece reaches from its first fragment to the next piece, but never past 24 h: across a gap in the
      // stream (a camera offline for a day) or an asked-for start long before the first fragment, the piece is
      // cut to the time around its own fragments, where the gap has nothing to lose.
      let lastEnd = group.map(\.end).max()!
      var pieceStart = index == 0 ? min(start, group[0].start) : group[0].start
      pieceStart = min(group[0].start, max(pieceStart, lastEnd.addingTimeInterval(-maximumRange)))
      var pieceEnd = index + 1 < groups.count ? groups[index + 1][0].start : end
      pieceEnd = min(pieceEnd, max(lastEnd, pieceStart.addingTimeInterval(maximumRange)))
      return ClipPiece(
        start: pieceStart, end: pieceEnd, fragmentCount: group.count, bytes: group.reduce(0) { $0 + $1.bytes })
    }
  }
}
