import Foundation

/// Files written whole or not at all, and what may be renamed over. A finished temporary file is renamed over its
/// destination only when the destination is a regular file or nothing yet: rename(2) replaces whatever node has the
/// name, so a FIFO would become a regular file its reader never sees, and as root `-o /dev/stdout` would replace the
/// `/dev/stdout` symlink for every process in the mount namespace. Anything else (standard output as `-`, a FIFO, a
/// device, a socket, a symbolic link) is written to instead.
public enum WholeFile {
  /// Whether a finished file may be renamed over `path`: nothing is there, or a regular file (not a link to one).
  public static func replacesByRename(_ path: String) -> Bool {
    guard path != "-" else { return false }
    var info = stat()
    guard lstat(path, &info) == 0 else { return true }
    return info.st_mode & S_IFMT == S_IFREG
  }

  /// Writes `bytes` as the whole of `path`: a temporary file beside it (mode `permissions`) renamed over it, or, where
  /// `replacesByRename` refuses, straight into it.
  public static func write(_ bytes: [UInt8], to path: String, permissions: mode_t = 0o644) throws {
    guard replacesByRename(path) else {
      return try writeInto(path) { descriptor in
        try bytes.withUnsafeBytes { try FileDescriptorIO.writeAll(descriptor, $0) }
      }
    }
    let directory = (path as NSString).deletingLastPathComponent
    let name = (path as NSString).lastPathComponent
    var template = Array("\(directory.isEmpty ? "." : directory)/.\(name).XXXXXX".utf8CString)
    let descriptor = mkstemp(&template)
    guard descriptor >= 0 else { throw SystemCallError(call: "create a temporary file beside \(path)", code: errno) }
    let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    do {
      defer { close(descriptor) }
      guard fchmod(descriptor, permissions) == 0 else {
        throw SystemCallError(call: "fchmod \(temporary)", code: errno)
      }
      try bytes.withUnsafeBytes { try FileDescriptorIO.writeAll(descriptor, $0) }
      guard rename(temporary, path) == 0 else { throw SystemCallError(call: "rename to \(path)", code: errno) }
    } catch {
      unlink(temporary)
      throw error
    }
  }

  /// Copies the finished file `source` into `destination` (`-`: standard output), for a destination that
  /// `replacesByRename` refuses. Opening a FIFO waits for its reader, as any writer of one does.
  public static func copy(_ source: String, into destination: String) throws {
    let input = open(source, O_RDONLY | O_CLOEXEC)
    guard input >= 0 else { throw SystemCallError(call: "open \(source)", code: errno) }
    defer { close(input) }
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    try writeInto(destination) { output in
      while true {
        let count = try buffer.withUnsafeMutableBytes { try FileDescriptorIO.read(input, into: $0) }
        if count == 0 { return }
        try buffer.withUnsafeBytes {
          try FileDescriptorIO.writeAll(output, UnsafeRawBufferPointer(rebasing: $0[..<count]))
        }
      }
    }
  }

  /// Runs `body` with `path` open for writing (created if it is a link to nothing; standard output for `-`).
  private static func writeInto(_ path: String, _ body: (Int32) throws -> Void) throws {
    if path == "-" { return try body(STDOUT_FILENO) }
    let descriptor = try FileDescriptorIO.retryingInterrupts("open \(path)") {
      open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    }
    defer { close(descriptor) }
    try body(descriptor)
  }
}
