import Foundation
internal import CCliplineAVCodec
internal import CCliplineAVFormat
internal import CCliplineAVUtil

/// One output file being written (an AVFormatContext with its AVIOContext). `finish()` writes the trailer
/// (and, for MP4, moves the index to the front); `discard()` closes it and deletes the partial file.
final class MediaOutput {
  let context: UnsafeMutablePointer<AVFormatContext>
  let path: String
  private var headerWritten = false
  private var closed = false
  private var options: [String: String]

  init(path: String, format: String = "mp4", options: [String: String] = ["movflags": "+faststart"]) throws {
    var context: UnsafeMutablePointer<AVFormatContext>?
    try check(avformat_alloc_output_context2(&context, nil, format, path), "avformat_alloc_output_context2", path: path)
    guard let context else { throw MediaError("could not create an output for \(path)") }
    self.context = context
    self.path = path
    self.options = options
    do {
      try check(avio_open(&context.pointee.pb, path, AVIO_FLAG_WRITE), "avio_open", path: path)
    } catch {
      avformat_free_context(context)
      throw error
    }
  }

  deinit {
    if !closed { discard() }
  }

  /// Adds a stream that copies an input stream's codec parameters; returns its index.
  func addStream(copying input: UnsafeMutablePointer<AVStream>) throws -> Int {
    guard let stream = avformat_new_stream(context, nil) else { throw MediaError("could not add a stream to \(path)") }
    try check(avcodec_parameters_copy(stream.pointee.codecpar, input.pointee.codecpar), "avcodec_parameters_copy")
    stream.pointee.codecpar.pointee.codec_tag = 0
    stream.pointee.time_base = input.pointee.time_base
    return Int(stream.pointee.index)
  }

  /// Adds a stream fed by an encoder; returns its index.
  func addStream(encoder: UnsafeMutablePointer<AVCodecContext>) throws -> Int {
    guard let stream = avformat_new_stream(context, nil) else { throw MediaError("could not add a stream to \(path)") }
    try check(avcodec_parameters_from_context(stream.pointee.codecpar, encoder), "avcodec_parameters_from_context")
    stream.pointee.time_base = encoder.pointee.time_base
    return Int(stream.pointee.index)
  }

  func timeBase(_ index: Int) -> AVRational { context.pointee.streams[index]!.pointee.time_base }

  var needsGlobalHeader: Bool { (context.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER) != 0 }

  func writeHeader() throws {
    var dictionary: OpaquePointer?
    for (key, value) in options { av_dict_set(&dictionary, key, value, 0) }
    defer { av_dict_free(&dictionary) }
    try check(avformat_write_header(context, &dictionary), "avformat_write_header", path: path)
    headerWritten = true
  }

  /// Writes a packet already in this output stream's time base (the muxer takes ownership of its data).
  func write(_ packet: Packet) throws {
    if !headerWritten { try writeHeader() }
    try check(av_interleaved_write_frame(context, packet.pointer), "av_interleaved_write_frame", path: path)
  }

  func finish() throws {
    guard !closed else { return }
    if !headerWritten { try writeHeader() }
    let trailer = av_write_trailer(context)
    close()
    try check(trailer, "av_write_trailer", path: path)
  }

  func discard() {
    guard !closed else { return }
    close()
    unlink(path)
  }

  private func close() {
    closed = true
    avio_closep(&context.pointee.pb)
    avformat_free_context(context)
  }
}
