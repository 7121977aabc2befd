import CliplineRecords
import CliplineSystem
import Foundation

/// Descriptor 3 inside an `amqp-consume` handler (`CLIPLINE_REPORT_FD`): an unlinked regular file the consumer opened
/// for appending and reads once the handler has exited. Each tool appends whole JSON lines to it: one per finished
/// span (`{"span":…}`) and one with its counts and stage timings as it ends (`{"metrics":[…]}`), so a handler's
/// figures reach the consumer's `/metrics` without a second server per process and without a tool ever waiting on
/// its consumer.
public enum ReportChannel {
  /// The variable that names the descriptor.
  public static let variable = "CLIPLINE_REPORT_FD"

  /// This process's report descriptor, when it runs inside a handler that was given one.
  public static let descriptor: Int32? = descriptor(in: ProcessInfo.processInfo.environment)

  static func descriptor(in environment: [String: String]) -> Int32? {
    guard let text = environment[variable], let descriptor = Int32(text), isReport(descriptor) else { return nil }
    return descriptor
  }

  /// Appends `object` as one line; a failed write loses the line, never the tool's run.
  public static func append(_ object: [String: JSONValue], to descriptor: Int32) {
    var line = JSONSerializer.bytes(.object(object))
    line.append(UInt8(ascii: "\n"))
    // One write to a file opened for appending: whole lines, whatever else writes there.
    line.withUnsafeMutableBytes { _ = try? FileDescriptorIO.writeAll(descriptor, UnsafeRawBufferPointer($0)) }
  }

  /// The report descriptor is a regular file opened for appending, as amqp-consume opens it: a descriptor 3 that a
  /// script opened for something else is never written to.
  static func isReport(_ descriptor: Int32) -> Bool {
    var status = stat()
    guard descriptor > 2, fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return false }
    let flags = fcntl(descriptor, F_GETFL)
    return flags >= 0 && flags & O_APPEND != 0
  }
}
