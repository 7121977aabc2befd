import Foundation

/// Where a tool writes its files: a flag, else the per-message directory `amqp-consume` hands its
/// handler (`CLIPLINE_WORK_DIR`), else a fresh directory under `$TMPDIR`.
public struct WorkDirectory: Sendable {
  public static let environmentVariable = "CLIPLINE_WORK_DIR"

  public let path: String
  /// True when this process created the directory itself (and may remove it).
  public let isCreatedHere: Bool

  public init(path: String, isCreatedHere: Bool) {
    self.path = path
    self.isCreatedHere = isCreatedHere
  }

  public static func resolve(flag: String?, prefix: String) throws -> WorkDirectory {
    if let chosen = flag ?? Settings.environment(environmentVariable) {
      try FileManager.default.createDirectory(atPath: chosen, withIntermediateDirectories: true)
      return WorkDirectory(path: chosen, isCreatedHere: false)
    }
    return WorkDirectory(path: try makeTemporaryDirectory(prefix: prefix), isCreatedHere: true)
  }

  /// Where temporary files go: `$TMPDIR`, else /tmp.
  public static var temporaryBase: String { Settings.environment("TMPDIR") ?? "/tmp" }

  /// A fresh directory (mode 0700) under `base` (`$TMPDIR` by default).
  public static func makeTemporaryDirectory(prefix: String, in base: String = temporaryBase) throws -> String {
    var template = Array("\(base)/\(prefix).XXXXXX".utf8CString)
    guard let created = mkdtemp(&template) else {
      throw SystemCallError(call: "mkdtemp \(base)", code: errno)
    }
    return String(cString: created)
  }

  public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

  public func remove() { try? FileManager.default.removeItem(atPath: path) }

  /// When this process created the directory: removes the directories in it that hold no file, then the directory
  /// itself if nothing is left. A run whose files all went to storage (`--to`), or that made none because it
  /// failed, leaves nothing in `$TMPDIR`; files its records name stay where they are.
  public func removeIfEmpty() {
    guard isCreatedHere else { return }
    Self.removeEmptyDirectories(at: path)
  }

  private static func removeEmptyDirectories(at path: String) {
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
      let child = (path as NSString).appendingPathComponent(entry)
      var status = stat()
      if lstat(child, &status) == 0, status.st_mode & S_IFMT == S_IFDIR { removeEmptyDirectories(at: child) }
    }
    rmdir(path)  // refused while anything is left in it
  }
}
