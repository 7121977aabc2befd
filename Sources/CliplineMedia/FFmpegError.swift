internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale
import CliplineRecords
import CliplineSystem

/// A libav* failure: the operation, FFmpeg's own message (`av_strerror`), and which file it concerned.
public struct FFmpegError: Error, CustomStringConvertible, ExitStatusProviding {
  public let operation: String
  public let code: Int32
  public let message: String
  public var path: String?

  public var description: String {
    let subject = path.map { " for \($0)" } ?? ""
    return "\(operation) failed\(subject): \(shortage?.description ?? message)"
  }

  /// Out of descriptors or memory (AVERROR(EMFILE), AVERROR(ENOMEM)): ours, not the media's.
  var shortage: ResourceShortage? {
    [EMFILE, ENFILE, ENOMEM].first { code == clipline_averror($0) }.flatMap(ResourceShortage.of(errno:))
  }

  /// Unreadable or malformed media is bad input (65); a missing file is 66; out of descriptors or memory is 75;
  /// the rest is 1.
  public var exitStatus: ExitStatus {
    if let shortage { return shortage.exitStatus }
    if code == clipline_averror(ENOENT) { return .noInput }
    if code == clipline_averror(EACCES) { return .permissionDenied }
    if code == averrorInvalidData || code == clipline_averror_eof() { return .dataError }
    if operation.hasPrefix("avformat_open_input") || operation.hasPrefix("avformat_find_stream_info")
      || operation.hasPrefix("av_read_frame") || operation.hasPrefix("avcodec_send_packet")
    {
      return .dataError
    }
    return .failure
  }

  static func message(for code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    av_strerror(code, &buffer, buffer.count)
    return String(nulTerminated: buffer)
  }
}

/// AVERROR_INVALIDDATA is FFERRTAG('I','N','D','A'), a macro Swift cannot import.
let averrorInvalidData: Int32 = -Int32(bitPattern: 0x4144_4E49)

/// Throws for a negative libav* return code; passes through the non-negative result.
@discardableResult
func check(_ code: Int32, _ operation: @autoclosure () -> String, path: String? = nil) throws -> Int32 {
  guard code >= 0 else {
    throw FFmpegError(operation: operation(), code: code, message: FFmpegError.message(for: code), path: path)
  }
  return code
}

/// Media that opened fine but cannot be used for the job (no video stream, unknown duration, …): bad input.
public struct MediaError: Error, CustomStringConvertible, ExitStatusProviding {
  public let description: String
  public init(_ description: String) { self.description = description }
  public var exitStatus: ExitStatus { .dataError }
}

/// FFmpeg prints to stderr by default; keep it to real errors unless the tool is verbose. The tools that call this
/// are about to open media, so it loads FFmpeg now; if that fails, the first open says so with its exit code.
public enum FFmpegLogging {
  public static func configure(verbose: Bool) {
    guard (try? FFmpegLibraries.load()) != nil else { return }
    av_log_set_level(verbose ? AV_LOG_WARNING : AV_LOG_QUIET)
  }
}
