import CliplineSystem
import Foundation

/// A download or local write that appears whole or not at all: a temporary file next to the destination,
/// fsynced and renamed over it.
public final class AtomicFile {
  public let destination: String
  public let temporaryPath: String
  private var committed = false

  public init(destination: String) throws {
    self.destination = destination
    let directory = (destination as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(
      atPath: directory.isEmpty ? "." : directory, withIntermediateDirectories: true)
    let name = (destination as NSString).lastPathComponent
    temporaryPath = (directory as NSString).appendingPathComponent(
      ".\(name).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
  }

  /// The temporary file, created empty and open for writing.
  public func create() throws -> FileHandle {
    guard FileManager.default.createFile(atPath: temporaryPath, contents: nil),
      let handle = FileHandle(forWritingAtPath: temporaryPath)
    else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: destination]) }
    return handle
  }

  public func commit() throws {
    let descriptor = open(temporaryPath, O_RDONLY)
    if descriptor >= 0 {
      fsync(descriptor)
      close(descriptor)
    }
    guard rename(temporaryPath, destination) == 0 else {
      throw SystemCallError(call: "rename to \(destination)", code: errno)
    }
    let directory = open((destination as NSString).deletingLastPathComponent, O_RDONLY)
    if directory >= 0 {
      fsync(directory)
      close(directory)
    }
    committed = true
  }

  public func discard() {
    if !committed { unlink(temporaryPath) }
  }
}
