import CliplineSystem
import Foundation

/// A small JSON file a container liveness probe can read: connection state, counters, and when it was written.
/// Replaced atomically (write + rename) so a reader never sees half of it.
public final class HealthFile {
  public let path: String
  private var lastWrite = Date.distantPast

  public init(path: String) { self.path = path }

  /// Writes now when `force`, else at most once a second.
  public func update(_ fields: [String: JSONValue], force: Bool = false) {
    let now = Date()
    guard force || now.timeIntervalSince(lastWrite) >= 1 else { return }
    lastWrite = now
    var object = fields
    object["updated_at"] = .string(RFC3339.format(now, fractionalDigits: 3))
    object["pid"] = .integer(Int64(getpid()))
    try? WholeFile.write(Array((JSONSerializer.string(.object(object)) + "\n").utf8), to: path)
  }
}
