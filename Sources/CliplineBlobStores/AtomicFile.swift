import CliplineRecords
import CliplineSystem
import Foundation

/// A download or local write that appears whole or not at all: a temporary file next to the destination,
/// fsynced and renamed over it. A destination that must not be renamed over (`WholeFile.replacesByRename`: standard
/// output as `-`, a FIFO, a device, a link) gets its temporary file in the temporary directory instead, and the
/// finished, verified bytes are copied into it: its reader still sees nothing that failed its checks.
public final class AtomicFile {
  public let destination: String
  public let temporaryPath: String
  /// The finished file is copied into the destination, not renamed over it.
  private let copiesInto: Bool
  private var committed = false

  public init(destination: String) throws {
    self.destination = destination
    copiesInto = !WholeFile.replacesByRename(destination)
    let name = (destination as NSString).lastPathComponent
    let unique = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    if copiesInto {
      temporaryPath = (NSTemporaryDirectory() as NSString).appendingPathComponent(".clipline-partial-\(unique)")
      return
    }
    let directory = (destination as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(
      atPath: directory.isEmpty ? "." : directory, withIntermediateDirectories: true)
    temporaryPath = (directory as NSString).appendingPathComponent(".\(name).partial-\(unique)")
  }

  /// The temporary file, created empty and open for writing.
  public func create() throws -> FileHandle {
    try LocalFile.create(temporaryPath)
  }

  public func commit() throws {
    if copiesInto { return try copyIntoDestination() }
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

  /// A reader that went away (a closed pipe) ends the tool as a closed stdout does.
  private func copyIntoDestination() throws {
    do {
      try WholeFile.copy(temporaryPath, into: destination)
    } catch let error as SystemCallError where error.code == EPIPE {
      throw OutputClosed()
    }
    unlink(temporaryPath)
    committed = true
  }

  public func discard() {
    if !committed { unlink(temporaryPath) }
  }
}
