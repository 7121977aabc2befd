import CliplineRecords
import CliplineSystem
import CliplineTelemetry
import Foundation

/// What a handler's tools hand back besides their output (`ReportChannel`): one JSON line per finished span and one
/// per tool's counts and stage timings, appended to an unlinked file the handler gets as descriptor 3
/// (`CLIPLINE_REPORT_FD=3`). Nothing reads it while the handler runs, so a tool never waits on the consumer; the
/// consumer exports the spans and adds the figures to its metrics once the handler has exited. Only made when the
/// consumer exports spans or keeps metrics: with both off the handler gets no descriptor at all.
final class HandlerReport {
  static let descriptorInChild: Int32 = 3
  /// What is read back at most: a handler that writes more loses the rest, not the consumer its memory.
  static let largestReport = 4 << 20

  let descriptor: Int32

  init() throws {
    var template = Array("\(WorkDirectory.temporaryBase)/amqp-consume-report.XXXXXX".utf8CString)
    let opened = mkstemp(&template)
    guard opened >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    unlink(template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
    // Close-on-exec (a handler gets it only where it is dup'ed onto 3) and appending, so each line lands whole.
    _ = fcntl(opened, F_SETFD, FD_CLOEXEC)
    _ = fcntl(opened, F_SETFL, fcntl(opened, F_GETFL) | O_APPEND)
    descriptor = opened
  }

  deinit { close(descriptor) }

  /// What the handler's tools wrote: their spans, and the `metrics` of each tool's report line (checked where they
  /// are merged). Lines that are neither are skipped.
  func read() -> (spans: [SpanRecord], metrics: [JSONValue]) {
    var bytes = [UInt8](repeating: 0, count: Self.largestReport)
    var filled = 0
    while filled < bytes.count {
      let count = bytes.withUnsafeMutableBytes { buffer in
        (try? FileDescriptorIO.retryingInterrupts("pread") {
          pread(descriptor, buffer.baseAddress! + filled, buffer.count - filled, off_t(filled))
        }) ?? 0
      }
      if count <= 0 { break }
      filled += count
    }
    var spans: [SpanRecord] = []
    var metrics: [JSONValue] = []
    for line in bytes[0..<filled].split(separator: UInt8(ascii: "\n")) {
      guard case .object(let object)? = try? JSONParser.parse(line) else { continue }
      if let span = object["span"].flatMap(SpanRecord.init(json:)) { spans.append(span) }
      if let reported = object["metrics"] { metrics.append(reported) }
    }
    return (spans, metrics)
  }
}
