internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale
import CliplineSystem
import Foundation

/// A position in a HashedOutputFile, reached from libavformat's callbacks through their opaque pointer
/// (a plain pointer: a closure that captures state cannot be a C callback).
private final class FileCursor {
  let file: OutputSink
  var position: Int64 = 0
  /// A read-back context libavformat opened through `io_open` keeps itself alive here until `io_close2`.
  var readBack: OutputIO?

  init(file: OutputSink) { self.file = file }
}

/// Owns one AVIOContext (and its buffer) whose callbacks write, read and seek an OutputSink.
final class OutputIO {
  let context: UnsafeMutablePointer<AVIOContext>
  private let cursor: FileCursor
  private static let bufferSize = 256 << 10

  /// `seekable: false` gives libavformat an output it can only append to (a stream): a muxer then never goes back.
  init(file: OutputSink, writable: Bool, seekable: Bool = true) throws {
    let cursor = FileCursor(file: file)
    context = try OutputIO.open(cursor, writable: writable, seekable: seekable)
    self.cursor = cursor
  }

  private static func open(
    _ cursor: FileCursor, writable: Bool, seekable: Bool
  ) throws -> UnsafeMutablePointer<AVIOContext> {
    try FFmpegLibraries.load()
    guard let buffer = av_malloc(bufferSize) else { throw ResourceShortage.memory(bytes: bufferSize) }
    let opaque = Unmanaged.passUnretained(cursor).toOpaque()
    guard
      let context = avio_alloc_context(
        buffer.assumingMemoryBound(to: UInt8.self), Int32(bufferSize), writable ? 1 : 0, opaque,
        writable ? nil : OutputIO.read, writable ? OutputIO.write : nil, seekable ? OutputIO.seek : nil)
    else {
      av_free(buffer)
      throw ResourceShortage.memory(bytes: nil)
    }
    return context
  }

  deinit {
    // libavformat may have replaced the buffer it was given: free the one it holds now.
    av_freep(&context.pointee.buffer)
    var owned: UnsafeMutablePointer<AVIOContext>? = context
    avio_context_free(&owned)
  }

  private static func cursor(_ opaque: UnsafeMutableRawPointer?) -> FileCursor {
    Unmanaged<FileCursor>.fromOpaque(opaque!).takeUnretainedValue()
  }

  private static func failed(_ cursor: FileCursor, _ error: Error) -> Int32 {
    if cursor.file.failure == nil { cursor.file.failure = error }
    return clipline_averror((error as? FileSystemError)?.code ?? EIO)
  }

  private static let write: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt8>?, Int32) -> Int32 = {
    opaque, buffer, size in
    let cursor = OutputIO.cursor(opaque)
    do {
      try cursor.file.write(UnsafeRawBufferPointer(start: buffer, count: Int(size)), at: cursor.position)
      cursor.position += Int64(size)
      return size
    } catch {
      return OutputIO.failed(cursor, error)
    }
  }

  private static let read: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt8>?, Int32) -> Int32 = {
    opaque, buffer, size in
    let cursor = OutputIO.cursor(opaque)
    do {
      let count = try cursor.file.read(
        into: UnsafeMutableRawBufferPointer(start: buffer, count: Int(size)), at: cursor.position)
      guard count > 0 else { return clipline_averror_eof() }
      cursor.position += Int64(count)
      return Int32(count)
    } catch {
      return OutputIO.failed(cursor, error)
    }
  }

  private static let seek: @convention(c) (UnsafeMutableRawPointer?, Int64, Int32) -> Int64 = {
    opaque, offset, whence in
    let cursor = OutputIO.cursor(opaque)
    switch whence & ~Int32(AVSEEK_FORCE) {
    case Int32(AVSEEK_SIZE): return cursor.file.size
    case SEEK_SET: cursor.position = offset
    case SEEK_CUR: cursor.position += offset
    case SEEK_END: cursor.position = cursor.file.size + offset
    default: return Int64(clipline_averror(EINVAL))
    }
    return cursor.position
  }

  /// Routes a muxer's own re-opening of its output (the MP4 muxer's `+faststart` second pass reads it back)
  /// to the OutputSink in `context.opaque`, instead of to the path on disk.
  static func routeReopening(of context: UnsafeMutablePointer<AVFormatContext>, to file: OutputSink) {
    context.pointee.opaque = Unmanaged<AnyObject>.passUnretained(file).toOpaque()
    context.pointee.io_open = { format, pb, _, flags, _ in
      guard let format, let pb, let opaque = format.pointee.opaque, flags & AVIO_FLAG_WRITE == 0 else {
        return clipline_averror(EINVAL)
      }
      let file = Unmanaged<AnyObject>.fromOpaque(opaque).takeUnretainedValue() as! OutputSink
      guard let readBack = try? OutputIO(file: file, writable: false) else { return clipline_averror(ENOMEM) }
      readBack.cursor.readBack = readBack
      pb.pointee = readBack.context
      return 0
    }
    context.pointee.io_close2 = { _, pb in
      guard let pb else { return 0 }
      // Breaks the cycle: the read-back context is freed by OutputIO.deinit.
      OutputIO.cursor(pb.pointee.opaque).readBack = nil
      return 0
    }
  }
}
