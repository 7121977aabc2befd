internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale
import CliplineSystem
import Foundation

/// Decodes one video stream, reshapes it through a libavfilter graph (scale, pad or crop, fps) and encodes
/// it with libx264, forcing an IDR frame at the first frame on or after each boundary so cuts land on them.
final class VideoTranscoder {
  private let decoder: CodecContext
  private let graph: FilterGraph
  private let encoderContext: CodecContext
  private let decoded = Frame()
  private let filtered = Frame()
  private let encoded = Packet()
  private let keyframeTimes: CutTimes
  private var nextKeyframe = 0
  /// Where the last decoded picture ends (source time base): the filter graph's end of input, so a frame-rate
  /// filter still emits the pictures that fall in the last one's time.
  private var inputEnd: Int64?
  /// Each filtered picture's duration by its time (encoder time base), until its packet leaves the encoder.
  private var durations: [Int64: Int64] = [:]

  var encoder: UnsafeMutablePointer<AVCodecContext> { encoderContext.pointer }

  /// - Parameters:
  ///   - keyframeTimes: absolute seconds (source clock) where an IDR frame must start, ascending.
  ///   - globalHeader: the container wants codec headers out of band (MP4 does).
  init(
    stream: UnsafeMutablePointer<AVStream>, settings: TranscodeSettings, keyframeTimes: CutTimes, globalHeader: Bool
  ) throws {
    self.keyframeTimes = keyframeTimes
    let decoder = try CodecContext(decoding: stream, threads: VideoTranscoder.threads)
    let graph = try FilterGraph(
      bufferArguments: VideoTranscoder.bufferArguments(decoder.pointer, timeBase: stream.pointee.time_base),
      filters: settings.filterGraph)
    guard let codec = avcodec_find_encoder_by_name("libx264") else {
      throw MediaError("libavcodec has no libx264 encoder")
    }
    let sink = graph.sink
    let source = decoder.pointer
    encoderContext = try CodecContext(
      encoding: codec,
      options: [
        "preset": settings.preset, "crf": String(settings.crf), "forced-idr": "1", "x264-params": "sync-lookahead=0",
      ]
    ) { made in
      made.pointee.width = av_buffersink_get_w(sink)
      made.pointee.height = av_buffersink_get_h(sink)
      made.pointee.pix_fmt = AVPixelFormat(av_buffersink_get_format(sink))
      made.pointee.sample_aspect_ratio = av_buffersink_get_sample_aspect_ratio(sink)
      made.pointee.time_base = av_buffersink_get_time_base(sink)
      let rate = av_buffersink_get_frame_rate(sink)
      if rate.num > 0 { made.pointee.framerate = rate }
      // Scaling keeps the colour description; say so in the stream, as the source did.
      made.pointee.color_range = source.pointee.color_range
      made.pointee.color_primaries = source.pointee.color_primaries
      made.pointee.color_trc = source.pointee.color_trc
      made.pointee.colorspace = source.pointee.colorspace
      made.pointee.chroma_sample_location = source.pointee.chroma_sample_location
      made.pointee.thread_count = VideoTranscoder.threads
      if globalHeader { made.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
    }
    self.decoder = decoder
    self.graph = graph
  }

  /// Frame threads for the decoder and for libx264 each. Automatic counts follow the host's cores, not the
  /// process's CPU share (a pod limited to one CPU on a 32-core node would start 33 decoder and 48 encoder
  /// threads, each holding its own pictures): two each use both cores of a small machine and keep memory fixed
  /// (on two cores: 110 MB peak RSS against 119 with automatic counts, 720p, same CPU; 100 with one each, slower).
  /// libx264 runs its lookahead without a thread and buffer of its own (`sync-lookahead=0`): the default ultrafast
  /// preset looks ahead no frames, and the buffer's frames held ~3 MB of the worker's PSS (720p, same wall).
  static let threads = Int32(min(2, max(1, ProcessInfo.processInfo.activeProcessorCount)))

  var outputTimeBase: AVRational { encoder.pointee.time_base }

  private static func bufferArguments(_ decoder: UnsafeMutablePointer<AVCodecContext>, timeBase: AVRational) -> String {
    let aspect =
      decoder.pointee.sample_aspect_ratio.num > 0 ? decoder.pointee.sample_aspect_ratio : AVRational(num: 1, den: 1)
    return "video_size=\(decoder.pointee.width)x\(decoder.pointee.height):pix_fmt=\(decoder.pointee.pix_fmt.rawValue)"
      + ":time_base=\(timeBase.num)/\(timeBase.den):pixel_aspect=\(aspect.num)/\(aspect.den)"
  }

  /// Feeds one compressed packet (nil at the end of input, to flush everything) and hands over each encoded packet.
  /// One packet can turn into many frames (a high target frame rate), so the stop request is checked per frame.
  func transcode(_ packet: Packet?, emit: (Packet) throws -> Void) throws {
    try check(avcodec_send_packet(decoder.pointer, packet?.pointer), "avcodec_send_packet")
    while true {
      let received = avcodec_receive_frame(decoder.pointer, decoded.pointer)
      if received == clipline_averror_eagain() || received == clipline_averror_eof() { break }
      try check(received, "avcodec_receive_frame")
      let picture = decoded.pointer
      picture.pointee.pts = picture.pointee.best_effort_timestamp
      if picture.pointee.pts != clipline_av_nopts_value() {
        inputEnd = picture.pointee.pts + max(picture.pointee.pkt_duration, 0)
      }
      try check(av_buffersrc_add_frame_flags(graph.source, picture, 0), "av_buffersrc_add_frame_flags")
      decoded.unreference()
      try drainFilter(emit: emit)
    }
    if packet == nil {
      if let inputEnd {
        try check(av_buffersrc_close(graph.source, inputEnd, 0), "av_buffersrc_close")
      } else {
        try check(av_buffersrc_add_frame_flags(graph.source, nil, 0), "av_buffersrc_add_frame_flags (flush)")
      }
      try drainFilter(emit: emit)
      try encode(nil, emit: emit)
    }
  }

  private func drainFilter(emit: (Packet) throws -> Void) throws {
    let timeBase = av_buffersink_get_time_base(graph.sink)
    while true {
      if ShutdownSignal.shared.isRequested { throw StoppedBySignal() }
      let received = av_buffersink_get_frame(graph.sink, filtered.pointer)
      if received == clipline_averror_eagain() || received == clipline_averror_eof() { return }
      try check(received, "av_buffersink_get_frame")
      let frame = filtered.pointer
      frame.pointee.pict_type = AV_PICTURE_TYPE_NONE
      if frame.pointee.pts != clipline_av_nopts_value(), nextKeyframe < keyframeTimes.count {
        let seconds = CliplineMedia.seconds(frame.pointee.pts, timeBase)
        if seconds >= keyframeTimes[nextKeyframe] - 0.001 {
          frame.pointee.pict_type = AV_PICTURE_TYPE_I
          nextKeyframe = keyframeTimes.firstIndex(after: seconds, tolerance: 0.001, from: nextKeyframe)
        }
      }
      if frame.pointee.pts != clipline_av_nopts_value(), frame.pointee.pkt_duration > 0 {
        durations[frame.pointee.pts] = frame.pointee.pkt_duration
      }
      try encode(frame, emit: emit)
      filtered.unreference()
    }
  }

  private func encode(_ frame: UnsafeMutablePointer<AVFrame>?, emit: (Packet) throws -> Void) throws {
    try check(avcodec_send_frame(encoder, frame), "avcodec_send_frame")
    while true {
      if ShutdownSignal.shared.isRequested { throw StoppedBySignal() }
      let received = avcodec_receive_packet(encoder, encoded.pointer)
      if received == clipline_averror_eagain() || received == clipline_averror_eof() { return }
      try check(received, "avcodec_receive_packet")
      setDuration(of: encoded.pointer)
      try emit(encoded)
      encoded.unreference()
    }
  }

  /// FFmpeg 5.1's libx264 wrapper leaves durations at 0, and MP4 then ends each chunk's edit list where its last
  /// picture starts, hiding it. A picture lasts one frame at the output's frame rate, else what it lasted in the
  /// source (a variable-rate source keeps its own timing).
  private func setDuration(of packet: UnsafeMutablePointer<AVPacket>) {
    let own = durations.removeValue(forKey: packet.pointee.pts)
    guard packet.pointee.duration <= 0 else { return }
    if encoder.pointee.framerate.num > 0 {
      packet.pointee.duration = av_rescale_q(1, av_inv_q(encoder.pointee.framerate), encoder.pointee.time_base)
    } else if let own {
      packet.pointee.duration = own
    }
  }
}
