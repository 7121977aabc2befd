import Foundation

/// A failed file-system operation on a path, as one sentence naming both (SystemCallError names only the call),
/// with the exit code its errno deserves (`ExitStatus.of(errno:)`).
public struct FileSystemError: Error, CustomStringConvertible, ExitStatusProviding {
  public let operation: String
  public let path: String
  public let code: Int32

  public init(_ operation: String, path: String, errno code: Int32 = errno) {
    self.operation = operation
    self.path = path
    self.code = code
  }

  public var description: String { "cannot \(operation) \(path): \(sentence(errno: code))" }

  public var exitStatus: ExitStatus { ExitStatus.of(errno: code) }
}
