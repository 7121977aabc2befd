internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale
import CliplineSystem
import Foundation

/// Where a `Segmenter` writes its segments.
public enum SegmentDestination {
  /// Segment `n` (from 1) to the file `path(n)`.
  case files(path: (Int) -> String)
  /// Segment `n` to the file `path(n)`, sent while it is written to the upload `begin(n, path)` starts (none when it
  /// returns nil: the file is then sent once it is finished).
  case uploading(path: (Int) -> String, begin: (Int, String) throws -> GrowingUpload?)
}

/// A finished segment's bytes: its file, or the object a file sent while it was written makes.
public enum SegmentOutput: Sendable {
  case file(path: String)
  /// A file sent while it was written: the object it makes, and the upload its parts went to (if one began).
  case written(WrittenBody, GrowingUpload?)

  /// A finished output that will not be emitted: a written body's upload is aborted and its file removed (a chunk
  /// file stays its receiver's, as before).
  public func abandon() {
    guard case .written(let body, let upload) = self else { return }
    upload?.abort()
    unlink(body.path)
  }
}

/// A finished segment: its 1-based index, its bytes, and its real start and end in seconds from the source start.
/// Its size and SHA-256 were taken by its file's last pass, in its final byte order (SegmentFinishing).
public struct FinishedSegment: Sendable {
  public let index: Int
  public let output: SegmentOutput
  public let startSeconds: Double
  public let endSeconds: Double
  public let bytes: Int64
  public let sha256: [UInt8]
}

/// Sends each packet to the segment file it belongs to, in one pass over the input.
///
/// The video stream decides the cuts: a keyframe at or after the next boundary starts a new segment.
/// Audio is demuxed interleaved with video, so packets around a cut arrive in no useful order; packets past
/// the next boundary are held back until the cut is known, and the previous segment stays open until every
/// audio stream has passed the cut. Each segment thus gets exactly its own audio, and is finished (and reported)
/// as soon as nothing more can belong to it.
final class SegmentRouter {
  struct Stream {
    let timeBase: AVRational
    let isVideo: Bool
  }

  private final class OpenSegment {
    let index: Int
    let output: MediaOutput
    let originSeconds: Double
    let startSeconds: Double
    var endSeconds: Double?
    var hasVideo = false

    init(index: Int, output: MediaOutput, originSeconds: Double, startSeconds: Double) {
      self.index = index
      self.output = output
      self.originSeconds = originSeconds
      self.startSeconds = startSeconds
    }
  }

  private struct RefusedCut {
    let boundary: Double
    let seconds: Double
    let reason: String
  }

  private struct HeldPacket {
    let packet: Packet
    let stream: Int
    let seconds: Double
  }

  private let boundaries: CutTimes
  private let sourceStart: Double
  private let streams: [Int: Stream]
  private let makeOutput: (_ index: Int) throws -> MediaOutput
  /// Each segment's file pass, beside the cut of the next; reports the finished segments in order.
  private let finishing: SegmentFinishing
  private var nextBoundaryIndex = 0
  private var current: OpenSegment?
  private var closing: OpenSegment?
  private var held: [HeldPacket] = []
  private var refusedCut: RefusedCut?
  private var lastSeenSeconds: [Int: Double] = [:]
  private(set) var endSeconds: Double
  var finishedCount: Int { finishing.reportedCount }
  private static let tolerance = 0.001

  /// - Parameters:
  ///   - boundaries: nominal cut times, absolute seconds in the source's clock, ascending.
  ///   - streams: the output streams by index, with the time base their packets arrive in.
  init(
    boundaries: CutTimes, sourceStart: Double, streams: [Int: Stream],
    makeOutput: @escaping (_ index: Int) throws -> MediaOutput, onFinished: @escaping (FinishedSegment) throws -> Void
  ) {
    self.boundaries = boundaries
    self.sourceStart = sourceStart
    self.streams = streams
    self.makeOutput = makeOutput
    self.finishing = SegmentFinishing(onFinished: onFinished)
    self.endSeconds = sourceStart
  }

  private var nextBoundary: Double? {
    nextBoundaryIndex < boundaries.count ? boundaries[nextBoundaryIndex] : nil
  }

  /// Whether a video packet may start a segment, as whoever feeds the router judged it.
  enum Cut {
    /// No: an ordinary picture.
    case none
    /// Yes, and the segment starts at this time (the packet's time base): its first picture shown.
    case at(Int64)
    /// A keyframe that does not decode alone with the pictures after it: why.
    case refused(String)

    /// What an encoder's keyframe is: its own time (our encoder forces IDR frames, with no leading pictures).
    static func ofKeyframe(_ packet: Packet) -> Cut {
      guard packet.isKeyframe, let time = packet.time else { return .none }
      return .at(time)
    }
  }

  /// Routes a packet of output stream `stream`; its timestamps are in that stream's arrival time base.
  func route(_ packet: Packet, stream: Int, cut: Cut = .none) throws {
    try finishing.reportReady()
    guard let info = streams[stream], let time = packet.time else { return }
    let seconds = CliplineMedia.seconds(time, info.timeBase)
    let duration =
      packet.pointer.pointee.duration > 0 ? CliplineMedia.seconds(packet.pointer.pointee.duration, info.timeBase) : 0
    endSeconds = max(endSeconds, seconds + duration)
    if info.isVideo {
      try routeVideo(packet, stream: stream, seconds: seconds, cut: cut)
    } else {
      try routeOther(packet, stream: stream, seconds: seconds)
    }
  }

  /// True when a video picture at `time` (stream 0's time base) would start the next segment if it may.
  func awaitsCut(at time: Int64) -> Bool {
    guard let next = nextBoundary, current?.hasVideo == true, let info = streams[0] else { return false }
    return CliplineMedia.seconds(time, info.timeBase) >= next - SegmentRouter.tolerance
  }

  private func routeVideo(_ packet: Packet, stream: Int, seconds: Double, cut decision: Cut) throws {
    // A segment is cut only once it holds video: a boundary before the first keyframe (a chunk shorter than the
    // source's GOP, audio that starts first) never makes a segment without video.
    if let next = nextBoundary, seconds >= next - SegmentRouter.tolerance, current?.hasVideo == true {
      switch decision {
      case .at(let start):
        try cut(at: CliplineMedia.seconds(start, streams[stream]!.timeBase))
      case .refused(let reason):
        if refusedCut == nil { refusedCut = RefusedCut(boundary: next, seconds: seconds, reason: reason) }
      case .none:
        break
      }
    }
    try checkRefusedCut(before: seconds)
    let segment = try openCurrent()
    segment.hasVideo = true
    try write(packet, stream: stream, to: segment)
  }

  private func routeOther(_ packet: Packet, stream: Int, seconds: Double) throws {
    lastSeenSeconds[stream] = max(lastSeenSeconds[stream] ?? -.infinity, seconds)
    if let closing, let current, seconds < current.startSeconds {
      try write(packet, stream: stream, to: closing)
    } else if let next = nextBoundary, seconds >= next - SegmentRouter.tolerance {
      held.append(HeldPacket(packet: try Packet(cloning: packet), stream: stream, seconds: seconds))
    } else {
      try write(packet, stream: stream, to: try openCurrent())
    }
    try finishClosingIfComplete()
  }

  private func openCurrent() throws -> OpenSegment {
    if let current { return current }
    let segment = OpenSegment(
      index: 1, output: try makeOutput(1), originSeconds: sourceStart, startSeconds: sourceStart)
    current = segment
    return segment
  }

  /// Copy mode met a keyframe past a boundary that does not decode alone, and no picture that does since: by the
  /// boundary after (or the end of the input) the source is refused rather than cut where pictures are lost.
  private func checkRefusedCut(before seconds: Double?) throws {
    guard let refused = refusedCut else { return }
    if let seconds {
      let following = boundaries.firstIndex(after: refused.boundary, tolerance: SegmentRouter.tolerance, from: 0)
      guard following < boundaries.count, seconds >= boundaries[following] - SegmentRouter.tolerance else { return }
    }
    throw CopyModeCannotCut(
      boundary: refused.boundary - sourceStart, until: (seconds ?? endSeconds) - sourceStart,
      keyframe: refused.seconds - sourceStart, reason: refused.reason)
  }

  /// The new segment's clock starts at its first picture: a keyframe decoded before it is shown (B-frames) gets a
  /// negative decode time, which MP4 keeps in its edit list, rather than an empty edit that delays every picture.
  private func cut(at seconds: Double) throws {
    guard let previous = current else { return }
    if let closing { try finish(closing) }
    previous.endSeconds = seconds
    closing = previous
    current = OpenSegment(
      index: previous.index + 1, output: try makeOutput(previous.index + 1), originSeconds: seconds,
      startSeconds: seconds)
    // One cut may pass several boundaries when a GOP is longer than a segment.
    nextBoundaryIndex = boundaries.firstIndex(
      after: seconds, tolerance: SegmentRouter.tolerance, from: nextBoundaryIndex)
    refusedCut = nil
    let waiting = held
    held = []
    for item in waiting {
      if item.seconds < seconds {
        try write(item.packet, stream: item.stream, to: previous)
      } else if let next = nextBoundary, item.seconds >= next - SegmentRouter.tolerance {
        held.append(item)
      } else {
        try write(item.packet, stream: item.stream, to: current!)
      }
    }
    try finishClosingIfComplete()
  }

  /// The previous segment is done once every audio stream has moved past its end.
  private func finishClosingIfComplete() throws {
    guard let closing, let end = closing.endSeconds else { return }
    let nonVideo = streams.filter { !$0.value.isVideo }.keys
    let allPast = nonVideo.allSatisfy { stream in
      guard let seen = lastSeenSeconds[stream] else { return true }
      return seen >= end
    }
    if allPast { try finish(closing) }
  }

  private func finish(_ segment: OpenSegment) throws {
    if closing === segment { closing = nil }
    do {
      try segment.output.writeTrailer()
    } catch {
      segment.output.discard()  // no longer `closing` or `current`: `abandon()` would not see it
      throw error
    }
    let end = segment.endSeconds ?? endSeconds
    try finishing.finish(
      segment.output, index: segment.index, startSeconds: segment.startSeconds - sourceStart,
      endSeconds: end - sourceStart)
  }

  /// The input ended: everything held goes where it belongs, and the open segments are finished.
  func finishAll() throws {
    guard let last = current, last.hasVideo else { throw MediaError("the input has no video packets") }
    try checkRefusedCut(before: nil)
    for item in held {
      let target = (closing != nil && item.seconds < last.startSeconds) ? closing! : last
      try write(item.packet, stream: item.stream, to: target)
    }
    held = []
    if let closing { try finish(closing) }
    last.endSeconds = endSeconds
    current = nil
    try finish(last)
    try finishing.reportAll()
  }

  /// A failure: partial segments are deleted, never reported.
  func abandon() {
    finishing.abandon()
    closing?.output.discard()
    current?.output.discard()
    closing = nil
    current = nil
    held = []
  }

  private func write(_ packet: Packet, stream: Int, to segment: OpenSegment) throws {
    let timeBase = streams[stream]!.timeBase
    let offset = ticks(segment.originSeconds, timeBase)
    let nopts = clipline_av_nopts_value()
    let pointer = packet.pointer
    if pointer.pointee.pts != nopts { pointer.pointee.pts -= offset }
    if pointer.pointee.dts != nopts { pointer.pointee.dts -= offset }
    av_packet_rescale_ts(pointer, timeBase, segment.output.timeBase(stream))
    pointer.pointee.stream_index = Int32(stream)
    pointer.pointee.pos = -1
    try segment.output.write(packet)
  }
}
