internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale

/// Owns one AVCodecContext: a decoder opened on a stream, or an encoder configured and opened by `configure`.
final class CodecContext {
  let pointer: UnsafeMutablePointer<AVCodecContext>

  /// A decoder for `stream`, opened.
  init(decoding stream: UnsafeMutablePointer<AVStream>, threads: Int32 = 1) throws {
    pointer = try CodecContext.openDecoder(stream, threads: threads)
  }

  /// An encoder: `configure` sets its fields on the allocated context before it is opened with `options`.
  init(
    encoding codec: UnsafePointer<AVCodec>, options: [String: String] = [:],
    configure: (UnsafeMutablePointer<AVCodecContext>) -> Void
  ) throws {
    pointer = try CodecContext.openEncoder(codec, options: options, configure: configure)
  }

  deinit {
    var context: UnsafeMutablePointer<AVCodecContext>? = pointer
    avcodec_free_context(&context)
  }

  private static func openDecoder(
    _ stream: UnsafeMutablePointer<AVStream>, threads: Int32
  ) throws -> UnsafeMutablePointer<AVCodecContext> {
    try FFmpegLibraries.load()
    let parameters = stream.pointee.codecpar!
    guard let codec = avcodec_find_decoder(parameters.pointee.codec_id) else {
      throw MediaError("no decoder for \(String(cString: avcodec_get_name(parameters.pointee.codec_id)))")
    }
    var context = avcodec_alloc_context3(codec)
    guard let allocated = context else { throw MediaError("avcodec_alloc_context3 failed") }
    do {
      try check(avcodec_parameters_to_context(allocated, parameters), "avcodec_parameters_to_context")
      allocated.pointee.pkt_timebase = stream.pointee.time_base
      allocated.pointee.thread_count = threads
      try check(avcodec_open2(allocated, codec, nil), "avcodec_open2 (decoder)")
    } catch {
      avcodec_free_context(&context)
      throw error
    }
    return allocated
  }

  private static func openEncoder(
    _ codec: UnsafePointer<AVCodec>, options: [String: String],
    configure: (UnsafeMutablePointer<AVCodecContext>) -> Void
  ) throws -> UnsafeMutablePointer<AVCodecContext> {
    try FFmpegLibraries.load()
    var context = avcodec_alloc_context3(codec)
    guard let allocated = context else { throw MediaError("avcodec_alloc_context3 failed") }
    configure(allocated)
    var dictionary: OpaquePointer?
    for (key, value) in options { av_dict_set(&dictionary, key, value, 0) }
    defer { av_dict_free(&dictionary) }
    let opened = avcodec_open2(allocated, codec, &dictionary)
    guard opened >= 0 else {
      avcodec_free_context(&context)
      let name = String(cString: codec.pointee.name)
      throw FFmpegError(operation: "avcodec_open2 (\(name))", code: opened, message: FFmpegError.message(for: opened))
    }
    return allocated
  }
}
