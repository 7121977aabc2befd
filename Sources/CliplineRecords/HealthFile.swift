import CliplineSystem
import Foundation

/// A small JSON file a container liveness probe can read: connection state, counters, and when it was written.
/// Replaced atomically (write + rename) so a reader never sees half of it.
public final class HealthFile {
  public let path: String
  private let diagnostics: Diagnostics
  private var lastWrite = Date.distantPast
  private var warned = false

  /// Refuses at start a path it could never write (the probe would read a missing file with no word said why).
  public init(path: String, diagnostics: Diagnostics) throws {
    self.path = path
    self.diagnostics = diagnostics
    do {
      try Self.probe(path)
    } catch {
      throw Unwritable(path: path, underlying: error)
    }
  }

  /// Writes now when `force`, else at most once a second. A failed write is said once (it is not worth stopping
  /// the work for), so the one who finds the file stale reads why on stderr.
  public func update(_ fields: [String: JSONValue], force: Bool = false) {
    let now = Date()
    guard force || now.timeIntervalSince(lastWrite) >= 1 else { return }
    lastWrite = now
    var object = fields
    object["updated_at"] = .string(RFC3339.format(now, fractionalDigits: 3))
    object["pid"] = .integer(Int64(getpid()))
    do {
      try WholeFile.write(Array((JSONSerializer.string(.object(object)) + "\n").utf8), to: path)
    } catch {
      guard !warned else { return }
      warned = true
      diagnostics.warning("\(Unwritable(path: path, underlying: error)); it goes stale until a write succeeds")
    }
  }

  /// Creates and removes a file beside `path`, as every write will (a FIFO or device is written into: not probed).
  private static func probe(_ path: String) throws {
    guard WholeFile.replacesByRename(path) else { return }
    let directory = (path as NSString).deletingLastPathComponent
    var template = Array("\(directory.isEmpty ? "." : directory)/.health-probe.XXXXXX".utf8CString)
    let descriptor = mkstemp(&template)
    guard descriptor >= 0 else { throw SystemCallError(call: "create a file beside \(path)", code: errno) }
    close(descriptor)
    template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
  }

  public struct Unwritable: Error, ExitStatusProviding, CustomStringConvertible {
    public let path: String
    public let underlying: Error
    public var exitStatus: ExitStatus { ExitStatus.of(underlying) }
    public var description: String { "--health-file \(path) cannot be written: \(describe(underlying))" }
  }
}
