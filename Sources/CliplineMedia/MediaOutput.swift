internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale
import CliplineSystem
import Foundation

/// One output file being written: an AVFormatContext whose muxer writes through an OutputIO into a
/// HashedOutputFile. `finish()` writes the trailer, puts an MP4's index at the front and returns the file's
/// size and SHA-256; an output never finished is deleted when it goes away (`discard()` deletes it at once).
final class MediaOutput {
  let context: UnsafeMutablePointer<AVFormatContext>
  private let io: OutputIO
  private let file: OutputSink
  private var headerWritten = false
  private var finished = false
  /// What `finish()` found, for `result`.
  private var written: WrittenFile?
  /// Where the file's parts go while it is written, when they do.
  private var upload: GrowingUpload?
  private let options: [String: String]

  var path: String { file.path }

  /// Where the finished output's bytes are.
  var result: SegmentOutput {
    if let body = written?.body { return .written(body, upload) }
    return .file(path: file.path)
  }

  convenience init(
    path: String, format: String = "mp4", options: [String: String] = ["movflags": "+faststart"],
    finishingBlock: Int = HashedOutputFile.defaultPassBlock
  ) throws {
    try self.init(format: format, options: options) { faststart in
      try HashedOutputFile(path: path, movesIndexToFront: faststart, passBlock: finishingBlock)
    }
  }

  /// An MP4 written to `path` and sent to `upload` in parts while it is written (`chunk --to`): the file stays as the
  /// muxer left it, and `result` says which bytes make the object.
  convenience init(path: String, upload: GrowingUpload?) throws {
    try self.init(format: "mp4", options: ["movflags": "+faststart"]) { faststart in
      try HashedOutputFile(path: path, movesIndexToFront: faststart, upload: upload)
    }
    self.upload = upload
  }

  /// A fragmented MP4 whose bytes leave as they are written (`ForwardOutput`): its empty index first, then one
  /// fragment per `endFragment()`, then the fragment index at `finish()`; the same packets give the same bytes.
  convenience init(forward sink: ForwardOutput) throws {
    try self.init(
      format: "mp4",
      options: ["movflags": "+frag_custom+empty_moov+default_base_moof", "fflags": "+bitexact"],
      seekable: false
    ) { _ in sink }
  }

  /// The index moves to the front as the output is finished (and hashed), not in the muxer's second pass: `sink`
  /// is told whether it is to.
  private init(
    format: String, options: [String: String], seekable: Bool = true, sink: (Bool) throws -> OutputSink
  ) throws {
    var options = options
    let faststart = ["mp4", "mov"].contains(format) && (options["movflags"]?.contains("+faststart") ?? false)
    if faststart { options["movflags"] = options["movflags"]!.replacingOccurrences(of: "+faststart", with: "") }
    if options["movflags"]?.isEmpty == true { options["movflags"] = nil }
    let file = try sink(faststart)
    do {
      let io = try OutputIO(file: file, writable: true, seekable: seekable)
      context = try MediaOutput.open(format: format, path: file.path, io: io.context, file: file)
      // A custom output flushes its buffer after every packet unless told not to (avio's flush points): a write
      // call per audio packet. A file gets whole buffers; a stream keeps its flushes (fragments leave at once).
      if seekable { context.pointee.flush_packets = 0 }
      self.io = io
    } catch {
      file.discard()
      throw error
    }
    self.file = file
    self.options = options
  }

  /// An output context writing through `io`; freed here if anything fails, so `deinit` is the only other free.
  private static func open(
    format: String, path: String, io: UnsafeMutablePointer<AVIOContext>, file: OutputSink
  ) throws -> UnsafeMutablePointer<AVFormatContext> {
    try FFmpegLibraries.load()
    var context: UnsafeMutablePointer<AVFormatContext>?
    try check(avformat_alloc_output_context2(&context, nil, format, path), "avformat_alloc_output_context2", path: path)
    guard let context else { throw MediaError("could not create an output for \(path)") }
    context.pointee.pb = io
    context.pointee.flags |= AVFMT_FLAG_CUSTOM_IO
    OutputIO.routeReopening(of: context, to: file)
    return context
  }

  deinit {
    // The context does not free a custom pb; `io` (released after this) does.
    avformat_free_context(context)
    if !finished { file.discard() }
  }

  /// Adds a stream that copies an input stream's codec parameters, side data (display matrix, …) and the
  /// metadata a player needs; returns its index.
  func addStream(copying input: UnsafeMutablePointer<AVStream>) throws -> Int {
    guard let stream = avformat_new_stream(context, nil) else { throw MediaError("could not add a stream to \(path)") }
    try check(avcodec_parameters_copy(stream.pointee.codecpar, input.pointee.codecpar), "avcodec_parameters_copy")
    if !MediaOutput.keepsCodecTag(input, in: context) { stream.pointee.codecpar.pointee.codec_tag = 0 }
    stream.pointee.time_base = input.pointee.time_base
    try StreamProperties.copy(from: input, to: stream)
    return Int(stream.pointee.index)
  }

  /// Adds a stream fed by an encoder; returns its index. `source` gives the side data and metadata to carry over.
  func addStream(encoder: UnsafeMutablePointer<AVCodecContext>, source: UnsafeMutablePointer<AVStream>?) throws -> Int {
    guard let stream = avformat_new_stream(context, nil) else { throw MediaError("could not add a stream to \(path)") }
    try check(avcodec_parameters_from_context(stream.pointee.codecpar, encoder), "avcodec_parameters_from_context")
    stream.pointee.time_base = encoder.pointee.time_base
    if let source { try StreamProperties.copy(from: source, to: stream) }
    return Int(stream.pointee.index)
  }

  /// A source's codec tag stays when this container maps it to the same codec, or has no tag of its own for the
  /// codec (hvc1 vs hev1 matters to players) — the test `ffmpeg -c copy` makes.
  private static func keepsCodecTag(
    _ input: UnsafeMutablePointer<AVStream>, in context: UnsafeMutablePointer<AVFormatContext>
  ) -> Bool {
    let parameters = input.pointee.codecpar.pointee
    guard parameters.codec_tag != 0 else { return false }
    guard let tags = context.pointee.oformat.pointee.codec_tag else { return true }
    var own: UInt32 = 0
    return av_codec_get_id(tags, parameters.codec_tag) == parameters.codec_id
      || av_codec_get_tag2(tags, parameters.codec_id, &own) == 0
  }

  func timeBase(_ index: Int) -> AVRational { context.pointee.streams[index]!.pointee.time_base }

  func writeHeader() throws {
    var dictionary: OpaquePointer?
    for (key, value) in options { av_dict_set(&dictionary, key, value, 0) }
    defer { av_dict_free(&dictionary) }
    try checked(avformat_write_header(context, &dictionary), "avformat_write_header")
    headerWritten = true
  }

  /// Writes a packet already in this output stream's time base (the muxer takes ownership of its data).
  func write(_ packet: Packet) throws {
    if !headerWritten { try writeHeader() }
    try checked(av_interleaved_write_frame(context, packet.pointer), "av_interleaved_write_frame")
  }

  /// Writes every packet held back for interleaving, then ends the fragment they make (a fragmented MP4's
  /// moof and mdat), which leaves through the output at once.
  func endFragment() throws {
    try checked(av_interleaved_write_frame(context, nil), "av_interleaved_write_frame")
    try checked(av_write_frame(context, nil), "av_write_frame")
    avio_flush(io.context)
    if let failure = file.failure { throw failure }
  }

  /// Writes the trailer and the file; returns its size and SHA-256.
  @discardableResult
  func finish() throws -> WrittenFile {
    try writeTrailer()
    return try finishFile()
  }

  /// Writes what the muxer still holds and its trailer: the muxer is done, only the file's own pass is left.
  func writeTrailer() throws {
    if !headerWritten { try writeHeader() }
    // The packets held back for interleaving and what the muxer still holds in its buffer are media: written
    // before the trailer begins, they reach the upload as media (and its parts' checksums come from their bytes).
    try checked(av_interleaved_write_frame(context, nil), "av_interleaved_write_frame")
    avio_flush(io.context)
    file.trailerBegins()
    try checked(av_write_trailer(context), "av_write_trailer")
    avio_flush(io.context)
    if let failure = file.failure { throw failure }
  }

  /// The file's last pass (`OutputSink.finish()`: an MP4's index to the front, the hash); it touches no FFmpeg
  /// state, so it may run on another thread once `writeTrailer()` has returned.
  func finishFile() throws -> WrittenFile {
    let written = try file.finish()
    self.written = written
    finished = true
    return written
  }

  /// Deletes the partial file now (what `deinit` would do).
  func discard() {
    guard !finished else { return }
    finished = true
    file.discard()
  }

  /// A failed call whose cause was the file (disk full, …) reports that, not FFmpeg's "I/O error".
  private func checked(_ code: Int32, _ operation: String) throws {
    if code < 0, let failure = file.failure { throw failure }
    try check(code, operation, path: path)
  }
}
