import Foundation
internal import CCliplineAVCodec
internal import CCliplineAVFormat
internal import CCliplineAVFilter
internal import CCliplineAVUtil

/// Decodes one video stream, reshapes it through a libavfilter graph (scale, pad or crop, fps) and encodes
/// it with libx264, forcing an IDR frame at the first frame on or after each boundary so cuts land on them.
final class VideoTranscoder {
  private let decoder: UnsafeMutablePointer<AVCodecContext>
  let encoder: UnsafeMutablePointer<AVCodecContext>
  private let graph: UnsafeMutablePointer<AVFilterGraph>
  private let source: UnsafeMutablePointer<AVFilterContext>
  private let sink: UnsafeMutablePointer<AVFilterContext>
  private let decoded = Frame()
  private let filtered = Frame()
  private let encoded = Packet()
  private let keyframeTimes: [Double]
  private var nextKeyframe = 0

  /// - Parameters:
  ///   - keyframeTimes: absolute seconds (source clock) where an IDR frame must start, ascending.
  ///   - globalHeader: the container wants codec headers out of band (MP4 does).
  init(
    stream: UnsafeMutablePointer<AVStream>, settings: TranscodeSettings, keyframeTimes: [Double], globalHeader: Bool
  ) throws {
    self.keyframeTimes = keyframeTimes
    let parameters = stream.pointee.codecpar!
    guard let decoderCodec = avcodec_find_decoder(parameters.pointee.codec_id) else {
      throw MediaError("no decoder for \(String(cString: avcodec_get_name(parameters.pointee.codec_id))) video")
    }
    guard let decoder = avcodec_alloc_context3(decoderCodec) else { throw MediaError("avcodec_alloc_context3 failed") }
    self.decoder = decoder
    var graph: UnsafeMutablePointer<AVFilterGraph>? = avfilter_graph_alloc()
    var encoder: UnsafeMutablePointer<AVCodecContext>?
    do {
      try check(avcodec_parameters_to_context(decoder, parameters), "avcodec_parameters_to_context")
      decoder.pointee.pkt_timebase = stream.pointee.time_base
      decoder.pointee.thread_count = 0
      try check(avcodec_open2(decoder, decoderCodec, nil), "avcodec_open2 (decoder)")

      guard let graphPointer = graph else { throw MediaError("avfilter_graph_alloc failed") }
      let (source, sink) = try VideoTranscoder.buildGraph(
        graphPointer, decoder: decoder, timeBase: stream.pointee.time_base, settings: settings)
      self.source = source
      self.sink = sink

      guard let encoderCodec = avcodec_find_encoder_by_name("libx264") else {
        throw MediaError("libavcodec has no libx264 encoder")
      }
      guard let made = avcodec_alloc_context3(encoderCodec) else { throw MediaError("avcodec_alloc_context3 failed") }
      encoder = made
      made.pointee.width = av_buffersink_get_w(sink)
      made.pointee.height = av_buffersink_get_h(sink)
      made.pointee.pix_fmt = AVPixelFormat(av_buffersink_get_format(sink))
      made.pointee.sample_aspect_ratio = av_buffersink_get_sample_aspect_ratio(sink)
      made.pointee.time_base = av_buffersink_get_time_base(sink)
      let rate = av_buffersink_get_frame_rate(sink)
      if rate.num > 0 { made.pointee.framerate = rate }
      made.pointee.thread_count = 0
      if globalHeader { made.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
      var options: OpaquePointer?
      av_dict_set(&options, "preset", settings.preset, 0)
      av_dict_set(&options, "crf", String(settings.crf), 0)
      av_dict_set(&options, "forced-idr", "1", 0)
      defer { av_dict_free(&options) }
      try check(avcodec_open2(made, encoderCodec, &options), "avcodec_open2 (libx264)")
      self.encoder = made
      self.graph = graphPointer
    } catch {
      var owned: UnsafeMutablePointer<AVCodecContext>? = decoder
      avcodec_free_context(&owned)
      avcodec_free_context(&encoder)
      avfilter_graph_free(&graph)
      throw error
    }
  }

  deinit {
    var decoderPointer: UnsafeMutablePointer<AVCodecContext>? = decoder
    avcodec_free_context(&decoderPointer)
    var encoderPointer: UnsafeMutablePointer<AVCodecContext>? = encoder
    avcodec_free_context(&encoderPointer)
    var graphPointer: UnsafeMutablePointer<AVFilterGraph>? = graph
    avfilter_graph_free(&graphPointer)
  }

  var outputTimeBase: AVRational { encoder.pointee.time_base }

  private static func buildGraph(
    _ graph: UnsafeMutablePointer<AVFilterGraph>, decoder: UnsafeMutablePointer<AVCodecContext>,
    timeBase: AVRational, settings: TranscodeSettings
  ) throws -> (UnsafeMutablePointer<AVFilterContext>, UnsafeMutablePointer<AVFilterContext>) {
    let aspect = decoder.pointee.sample_aspect_ratio.num > 0 ? decoder.pointee.sample_aspect_ratio : AVRational(num: 1, den: 1)
    let arguments =
      "video_size=\(decoder.pointee.width)x\(decoder.pointee.height):pix_fmt=\(decoder.pointee.pix_fmt.rawValue)"
      + ":time_base=\(timeBase.num)/\(timeBase.den):pixel_aspect=\(aspect.num)/\(aspect.den)"
    var source: UnsafeMutablePointer<AVFilterContext>?
    var sink: UnsafeMutablePointer<AVFilterContext>?
    try check(
      avfilter_graph_create_filter(&source, avfilter_get_by_name("buffer"), "in", arguments, nil, graph),
      "avfilter_graph_create_filter (buffer)")
    try check(
      avfilter_graph_create_filter(&sink, avfilter_get_by_name("buffersink"), "out", nil, nil, graph),
      "avfilter_graph_create_filter (buffersink)")
    var outputs = avfilter_inout_alloc()
    var inputs = avfilter_inout_alloc()
    defer {
      avfilter_inout_free(&outputs)
      avfilter_inout_free(&inputs)
    }
    outputs!.pointee.name = av_strdup("in")
    outputs!.pointee.filter_ctx = source
    inputs!.pointee.name = av_strdup("out")
    inputs!.pointee.filter_ctx = sink
    try check(
      avfilter_graph_parse_ptr(graph, settings.filterGraph, &inputs, &outputs, nil),
      "avfilter_graph_parse_ptr (\(settings.filterGraph))")
    try check(avfilter_graph_config(graph, nil), "avfilter_graph_config")
    return (source!, sink!)
  }

  /// Feeds one compressed packet (nil at the end of input, to flush everything) and hands over each encoded packet.
  func transcode(_ packet: Packet?, emit: (Packet) throws -> Void) throws {
    try check(avcodec_send_packet(decoder, packet?.pointer), "avcodec_send_packet")
    while true {
      let received = avcodec_receive_frame(decoder, decoded.pointer)
      if received == clipline_averror_eagain() || received == clipline_averror_eof() { break }
      try check(received, "avcodec_receive_frame")
      decoded.pointer.pointee.pts = decoded.pointer.pointee.best_effort_timestamp
      try check(av_buffersrc_add_frame_flags(source, decoded.pointer, 0), "av_buffersrc_add_frame_flags")
      decoded.unreference()
      try drainFilter(emit: emit)
    }
    if packet == nil {
      try check(av_buffersrc_add_frame_flags(source, nil, 0), "av_buffersrc_add_frame_flags (flush)")
      try drainFilter(emit: emit)
      try encode(nil, emit: emit)
    }
  }

  private func drainFilter(emit: (Packet) throws -> Void) throws {
    let timeBase = av_buffersink_get_time_base(sink)
    while true {
      let received = av_buffersink_get_frame(sink, filtered.pointer)
      if received == clipline_averror_eagain() || received == clipline_averror_eof() { return }
      try check(received, "av_buffersink_get_frame")
      let frame = filtered.pointer
      frame.pointee.pict_type = AV_PICTURE_TYPE_NONE
      if frame.pointee.pts != clipline_av_nopts_value(), nextKeyframe < keyframeTimes.count {
        let seconds = CliplineMedia.seconds(frame.pointee.pts, timeBase)
        if seconds >= keyframeTimes[nextKeyframe] - 0.001 {
          frame.pointee.pict_type = AV_PICTURE_TYPE_I
          while nextKeyframe < keyframeTimes.count, keyframeTimes[nextKeyframe] <= seconds + 0.001 {
            nextKeyframe += 1
          }
        }
      }
      try encode(frame, emit: emit)
      filtered.unreference()
    }
  }

  private func encode(_ frame: UnsafeMutablePointer<AVFrame>?, emit: (Packet) throws -> Void) throws {
    try check(avcodec_send_frame(encoder, frame), "avcodec_send_frame")
    while true {
      let received = avcodec_receive_packet(encoder, encoded.pointer)
      if received == clipline_averror_eagain() || received == clipline_averror_eof() { return }
      try check(received, "avcodec_receive_packet")
      // FFmpeg 5.1's libx264 wrapper leaves durations at 0, which would give each chunk's last frame no length.
      if encoded.pointer.pointee.duration <= 0, encoder.pointee.framerate.num > 0 {
        encoded.pointer.pointee.duration = av_rescale_q(1, av_inv_q(encoder.pointee.framerate), encoder.pointee.time_base)
      }
      try emit(encoded)
      encoded.unreference()
    }
  }
}
