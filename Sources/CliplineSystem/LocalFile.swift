import Foundation

/// Local files opened the one way the tools open them: with open(2), so a failure is a `FileSystemError` that
/// carries its errno (a missing file 66, a refused one 77, out of descriptors 75) rather than a guess made from a
/// nil `FileHandle` or a false `createFile` ("permission denied" for a full descriptor table).
public enum LocalFile {
  public static func openForReading(_ path: String) throws -> FileHandle {
    FileHandle(fileDescriptor: try descriptor(path, O_RDONLY, "open"), closeOnDealloc: true)
  }

  /// Created empty (or emptied), open for writing.
  public static func create(_ path: String, mode: mode_t = 0o644) throws -> FileHandle {
    FileHandle(fileDescriptor: try descriptor(path, O_WRONLY | O_CREAT | O_TRUNC, "create", mode), closeOnDealloc: true)
  }

  /// `bytes` as the whole content of `path` (created or emptied first).
  public static func write(_ bytes: some DataProtocol, to path: String) throws {
    let handle = try create(path)
    defer { try? handle.close() }
    do {
      try handle.write(contentsOf: bytes)
    } catch {
      throw FileSystemError("write", path: path, errno: (error as? CocoaError)?.underlyingErrno ?? EIO)
    }
  }

  private static func descriptor(_ path: String, _ flags: Int32, _ operation: String, _ mode: mode_t = 0) throws
    -> Int32
  {
    while true {
      let opened = open(path, flags | O_CLOEXEC, mode)
      if opened >= 0 { return opened }
      if errno != EINTR { throw FileSystemError(operation, path: path) }
    }
  }
}
