internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale
import Foundation

/// What a stream carries, as the tools and their tests need to know it.
public struct StreamInfo: Sendable, Equatable {
  public enum Kind: Sendable, Equatable { case video, audio, other }

  public let index: Int
  public let kind: Kind
  public let codecName: String
  public let width: Int
  public let height: Int
  /// Frames per second for video (average, else nominal); 0 when unknown.
  public let framesPerSecond: Double
  public let startSeconds: Double?
  public let durationSeconds: Double?
}

/// A container's summary: streams and duration.
public struct MediaInfo: Sendable {
  public let formatName: String
  public let durationSeconds: Double?
  public let startSeconds: Double
  public let streams: [StreamInfo]

  public var video: StreamInfo? { streams.first { $0.kind == .video } }
}

/// An opened input file (one AVFormatContext), read packet by packet from the start: one pass.
final class MediaInput {
  let context: UnsafeMutablePointer<AVFormatContext>
  let path: String
  /// The custom I/O of a source still downloading; it outlives the context that reads through it.
  private let reader: AVIOSourceReader?

  /// Opens `path`, or, with a `reader`, whatever it reads (`path` then only names the source in messages).
  init(path: String, reader: AVIOSourceReader? = nil) throws {
    context = try MediaInput.open(path: path, reader: reader)
    self.path = path
    self.reader = reader
  }

  /// An opened input with its stream info read; closed here if that fails, so `deinit` is the only other free.
  private static func open(path: String, reader: AVIOSourceReader?) throws -> UnsafeMutablePointer<AVFormatContext> {
    try FFmpegLibraries.load()
    var context: UnsafeMutablePointer<AVFormatContext>?
    if let reader {
      context = avformat_alloc_context()
      context?.pointee.pb = reader.context
    }
    // On failure avformat_open_input frees the context itself (even one allocated here).
    let result = avformat_open_input(&context, path, nil, nil)
    guard result >= 0, let opened = context else {
      if result == clipline_averror(ENOENT) {
        throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
      }
      throw FFmpegError(
        operation: "avformat_open_input", code: result, message: FFmpegError.message(for: result), path: path)
    }
    do {
      try check(avformat_find_stream_info(opened, nil), "avformat_find_stream_info", path: path)
    } catch {
      avformat_close_input(&context)
      throw error
    }
    return opened
  }

  deinit {
    var owned: UnsafeMutablePointer<AVFormatContext>? = context
    avformat_close_input(&owned)
  }

  var streamCount: Int { Int(context.pointee.nb_streams) }

  func stream(_ index: Int) -> UnsafeMutablePointer<AVStream> { context.pointee.streams[index]! }

  func timeBase(_ index: Int) -> AVRational { stream(index).pointee.time_base }

  /// Reads the next packet into `packet`; false at the end of the file.
  func read(into packet: Packet) throws -> Bool {
    packet.unreference()
    let result = av_read_frame(context, packet.pointer)
    if result == clipline_averror_eof() { return false }
    try check(result, "av_read_frame", path: path)
    return true
  }

  /// The best video stream, as libavformat ranks them.
  var bestVideoStreamIndex: Int? {
    let index = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
    return index >= 0 ? Int(index) : nil
  }

  var info: MediaInfo {
    let nopts = clipline_av_nopts_value()
    let streams = (0..<streamCount).map { index -> StreamInfo in
      let stream = stream(index)
      let parameters = stream.pointee.codecpar.pointee
      let kind: StreamInfo.Kind
      switch parameters.codec_type {
      case AVMEDIA_TYPE_VIDEO: kind = (stream.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC) != 0 ? .other : .video
      case AVMEDIA_TYPE_AUDIO: kind = .audio
      default: kind = .other
      }
      let rate = stream.pointee.avg_frame_rate.num > 0 ? stream.pointee.avg_frame_rate : stream.pointee.r_frame_rate
      let timeBase = stream.pointee.time_base
      return StreamInfo(
        index: index, kind: kind, codecName: String(cString: avcodec_get_name(parameters.codec_id)),
        width: Int(parameters.width), height: Int(parameters.height),
        framesPerSecond: rate.den > 0 ? rate.seconds : 0,
        startSeconds: stream.pointee.start_time == nopts
          ? nil : CliplineMedia.seconds(stream.pointee.start_time, timeBase),
        durationSeconds: stream.pointee.duration == nopts || stream.pointee.duration <= 0
          ? nil : CliplineMedia.seconds(stream.pointee.duration, timeBase))
    }
    let duration =
      context.pointee.duration == nopts || context.pointee.duration <= 0
      ? nil : Double(context.pointee.duration) / Double(AV_TIME_BASE)
    let start = context.pointee.start_time == nopts ? 0 : Double(context.pointee.start_time) / Double(AV_TIME_BASE)
    return MediaInfo(
      formatName: String(cString: context.pointee.iformat.pointee.name), durationSeconds: duration,
      startSeconds: start, streams: streams)
  }
}

/// Reads a file's streams and duration without decoding anything.
public enum MediaProbe {
  public static func info(path: String) throws -> MediaInfo { try MediaInput(path: path).info }
}
