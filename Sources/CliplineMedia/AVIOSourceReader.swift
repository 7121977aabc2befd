internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale
import CliplineSystem
import Foundation

/// The AVIOContext libavformat reads a source through while it is still downloading: reads block until the bytes
/// they need have arrived (`ArrivingBytes`: a file being written, or a window of memory); a failed download ends the
/// read with EIO, and the download's error is the one to report.
final class AVIOSourceReader {
  let context: UnsafeMutablePointer<AVIOContext>
  private let file: ReadState

  /// What the C callbacks reach through the opaque pointer (a class, not a capturing closure).
  private final class ReadState {
    let source: ArrivingBytes
    var position: Int64 = 0

    init(source: ArrivingBytes) { self.source = source }
  }

  private static let bufferSize: Int32 = 1 << 16
  /// AVSEEK_SIZE and AVSEEK_FORCE (avio.h macros Swift does not import).
  private static let seekSize: Int32 = 0x10000
  private static let seekForce: Int32 = 0x20000

  private init(context: UnsafeMutablePointer<AVIOContext>, file: ReadState) {
    self.context = context
    self.file = file
  }

  static func open(_ source: ArrivingBytes) throws -> AVIOSourceReader {
    try FFmpegLibraries.load()
    try source.openForReading()
    let state = ReadState(source: source)
    guard let buffer = av_malloc(Int(bufferSize)) else {
      throw FFmpegError(
        operation: "av_malloc", code: clipline_averror(ENOMEM), message: "out of memory", path: source.name)
    }
    guard
      let context = avio_alloc_context(
        buffer.assumingMemoryBound(to: UInt8.self), bufferSize, 0, Unmanaged.passUnretained(state).toOpaque(),
        onRead, nil, onSeek)
    else {
      av_free(buffer)
      throw FFmpegError(
        operation: "avio_alloc_context", code: clipline_averror(ENOMEM), message: "out of memory", path: source.name)
    }
    return AVIOSourceReader(context: context, file: state)
  }

  deinit {
    // The context may have replaced the buffer it was given: free the one it holds now.
    av_freep(&context.pointee.buffer)
    var owned: UnsafeMutablePointer<AVIOContext>? = context
    avio_context_free(&owned)
  }

  private static let onRead: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt8>?, Int32) -> Int32 = {
    opaque, buffer, size in
    let state = Unmanaged<ReadState>.fromOpaque(opaque!).takeUnretainedValue()
    guard let buffer, size > 0 else { return 0 }
    let read: Int
    do {
      read = try state.source.read(at: state.position, into: buffer, count: Int(size))
    } catch {
      return clipline_averror(EIO)
    }
    guard read > 0 else { return clipline_averror_eof() }
    state.position += Int64(read)
    return Int32(read)
  }

  private static let onSeek: @convention(c) (UnsafeMutableRawPointer?, Int64, Int32) -> Int64 = {
    opaque, offset, whence in
    let state = Unmanaged<ReadState>.fromOpaque(opaque!).takeUnretainedValue()
    let mode = whence & ~seekForce
    do {
      switch mode {
      case seekSize: return try state.source.waitForSize()
      case SEEK_SET: state.position = offset
      case SEEK_CUR: state.position += offset
      case SEEK_END: state.position = try state.source.waitForSize() + offset
      default: return Int64(clipline_averror(EINVAL))
      }
    } catch {
      return Int64(clipline_averror(EIO))
    }
    return state.position
  }
}
