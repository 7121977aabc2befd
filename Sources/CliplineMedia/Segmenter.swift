internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale
import CliplineRecords
import CliplineSystem
import Foundation

/// Cuts one media file into MP4 segments at time boundaries in a single pass over the input.
///
/// - Copy mode keeps the compressed video and audio as they are and cuts at the first picture on or after each
///   boundary that decodes alone with every picture after it (`CleanCuts`); segment times are the real cut times.
///   A source with none from one boundary to the next is refused (`CopyModeCannotCut`) rather than cut losing
///   pictures.
/// - Transcode mode re-encodes the video (size, frame rate) with keyframes forced at the boundaries, so cuts
///   land on them exactly; audio is copied.
/// Each segment starts at timestamp 0, has its index at the front (`+faststart`), and is reported the moment
/// its file is closed. Subtitle, data and cover-art streams are left out.
public final class Segmenter {
  public enum Mode: Sendable, Equatable {
    case copy
    case transcode(TranscodeSettings)
  }

  private let input: MediaInput
  public let info: MediaInfo

  public init(sourcePath: String) throws {
    input = try MediaInput(path: sourcePath)
    info = input.info
  }

  /// Cuts a source while it downloads: libavformat reads only bytes that have arrived, waiting for the rest.
  public init(arrivingSource source: ArrivingBytes) throws {
    input = try MediaInput(path: source.name, reader: try AVIOSourceReader.open(source))
    info = input.info
  }

  /// Cuts at `boundaries` (seconds from the source start, ascending, each inside the source), writing each segment
  /// to `destination`, calling `onSegment` as each one is finished. On failure the segment being written is deleted;
  /// segments already reported stay valid.
  public func run(
    boundaries: CutTimes, mode: Mode, into destination: SegmentDestination,
    onSegment: (FinishedSegment) throws -> Void
  ) throws -> Int {
    try withoutActuallyEscaping(onSegment) { onSegment in
      try cut(at: boundaries, mode: mode, into: destination, onSegment: onSegment)
    }
  }

  private func cut(
    at boundaries: CutTimes, mode: Mode, into destination: SegmentDestination,
    onSegment: @escaping (FinishedSegment) throws -> Void
  ) throws -> Int {
    guard let videoIndex = input.bestVideoStreamIndex else {
      throw MediaError("\(input.path) has no video stream")
    }
    let absoluteBoundaries = boundaries.shifted(by: info.startSeconds)
    var transcoder: VideoTranscoder?
    if case .transcode(let settings) = mode {
      transcoder = try VideoTranscoder(
        stream: input.stream(videoIndex), settings: settings, keyframeTimes: absoluteBoundaries, globalHeader: true)
    }
    let layout = OutputLayout(
      input: input, videoIndex: videoIndex, audioIndexes: info.streams.filter { $0.kind == .audio }.map(\.index),
      transcoder: transcoder)
    let router = SegmentRouter(
      boundaries: absoluteBoundaries, sourceStart: info.startSeconds, streams: layout.streams,
      makeOutput: { index in try layout.makeOutput(index, in: destination) }, onFinished: onSegment)
    do {
      try feed(
        router, transcoder: transcoder, outputStreamOfInput: layout.outputStreamOfInput, videoIndex: videoIndex)
      try router.finishAll()
      return router.finishedCount
    } catch var refusal as CopyModeCannotCut {
      router.abandon()
      refusal.path = input.path
      throw refusal
    } catch {
      router.abandon()
      throw error
    }
  }

  /// Reads the whole input into `router`: video through the transcoder, or in copy mode through the clean-cut
  /// judge; checked for damage the demuxer lets through and for an input cut short.
  private func feed(
    _ router: SegmentRouter, transcoder: VideoTranscoder?, outputStreamOfInput: [Int: Int], videoIndex: Int
  ) throws {
    let sourceStart = info.startSeconds
    let cleanCuts = transcoder == nil ? CleanCuts(router: router, video: input.stream(videoIndex)) : nil
    let integrity = PacketIntegrity(video: input.stream(videoIndex))
    var flaggedDamage: MediaError?
    let packet = Packet()
    while try input.read(into: packet) {
      if ShutdownSignal.shared.isRequested { throw StoppedBySignal() }
      guard let outputStream = outputStreamOfInput[packet.streamIndex] else { continue }
      // A packet flagged corrupt is also how a file cut short ends: hold that verdict until the next packet,
      // so a truncated file is reported as truncated.
      if let damage = flaggedDamage { throw damage }
      if let damage = integrity.damage(in: packet, isVideo: outputStream == 0) {
        let at = packet.time.map { CliplineMedia.seconds($0, input.timeBase(packet.streamIndex)) - sourceStart } ?? 0
        let error = MediaError(
          String(format: "%@ is damaged at %.1f s (stream %d: %@)", input.path, at, packet.streamIndex, damage))
        if integrity.isOnlyFlagged(packet) {
          flaggedDamage = error
          continue
        }
        throw error
      }
      if outputStream == 0, let transcoder {
        try transcoder.transcode(packet) { try router.route($0, stream: 0, cut: .ofKeyframe($0)) }
      } else if let cleanCuts {
        try cleanCuts.route(packet, stream: outputStream)
      } else {
        try router.route(packet, stream: outputStream)
      }
    }
    try transcoder?.transcode(nil) { try router.route($0, stream: 0, cut: .ofKeyframe($0)) }
    try cleanCuts?.finish()
    try checkComplete(readUntil: router.endSeconds - sourceStart)
    if let damage = flaggedDamage { throw damage }
  }

  /// A file cut short (an upload that stopped, a disk that filled) ends early without a read error:
  /// its media stops well before the duration its header promises.
  private func checkComplete(readUntil seconds: Double) throws {
    guard let promised = info.durationSeconds, promised - seconds > max(1.0, promised * 0.02) else { return }
    throw MediaError(
      String(
        format: "%@ is truncated: its media ends at %.1f s of the %.1f s its header declares", input.path, seconds,
        promised))
  }
}

/// The streams every segment has: output stream 0 is the video (copied, or from the encoder), 1… the audio streams in
/// input order.
private struct OutputLayout {
  let input: MediaInput
  let videoIndex: Int
  let audioIndexes: [Int]
  let transcoder: VideoTranscoder?
  let outputStreamOfInput: [Int: Int]
  let streams: [Int: SegmentRouter.Stream]

  init(input: MediaInput, videoIndex: Int, audioIndexes: [Int], transcoder: VideoTranscoder?) {
    self.input = input
    self.videoIndex = videoIndex
    self.audioIndexes = audioIndexes
    self.transcoder = transcoder
    var outputStreamOfInput: [Int: Int] = [videoIndex: 0]
    var streams: [Int: SegmentRouter.Stream] = [
      0: .init(timeBase: transcoder?.outputTimeBase ?? input.timeBase(videoIndex), isVideo: true)
    ]
    for (offset, index) in audioIndexes.enumerated() {
      outputStreamOfInput[index] = offset + 1
      streams[offset + 1] = .init(timeBase: input.timeBase(index), isVideo: false)
    }
    self.outputStreamOfInput = outputStreamOfInput
    self.streams = streams
  }

  /// Segment `index`'s output, its streams added and its header written.
  func makeOutput(_ index: Int, in destination: SegmentDestination) throws -> MediaOutput {
    let output: MediaOutput
    switch destination {
    case .files(let path): output = try MediaOutput(path: path(index))
    case .uploading(let path, let begin):
      let file = path(index)
      let upload = try begin(index, file)
      do {
        output = try MediaOutput(path: file, upload: upload)
      } catch {
        upload?.abort()
        throw error
      }
    }
    do {
      if let transcoder {
        _ = try output.addStream(encoder: transcoder.encoder, source: input.stream(videoIndex))
      } else {
        _ = try output.addStream(copying: input.stream(videoIndex))
      }
      for audio in audioIndexes { _ = try output.addStream(copying: input.stream(audio)) }
      try output.writeHeader()
    } catch {
      output.discard()
      throw error
    }
    return output
  }
}
