import Foundation

/// The one place the tools call read(2) and write(2): EINTR is retried here, a short write continues, and a
/// failure becomes a `SystemCallError` that names the call.
public enum FileDescriptorIO {
  /// Reads what is there (at most `buffer.count` bytes); 0 at end of file.
  public static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    try retryingInterrupts("read") { Foundation.read(descriptor, buffer.baseAddress, buffer.count) }
  }

  /// Writes every byte, as few write(2) calls as the kernel allows (one, for a line into a pipe).
  public static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws {
    var offset = 0
    while offset < bytes.count {
      offset += try retryingInterrupts("write") {
        Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
      }
    }
  }

  /// Calls `body` again while it fails with EINTR; any other failure (-1) throws with errno.
  public static func retryingInterrupts<Result: BinaryInteger>(_ call: String, _ body: () -> Result) throws -> Result {
    while true {
      let result = body()
      if result >= 0 { return result }
      if errno == EINTR { continue }
      throw SystemCallError(call: call, code: errno)
    }
  }
}

/// A failed system call, with the errno it set.
public struct SystemCallError: ExitStatusProviding, CustomStringConvertible, Equatable {
  public let call: String
  public let code: Int32

  public init(call: String, code: Int32) {
    self.call = call
    self.code = code
  }

  public var exitStatus: ExitStatus { ExitStatus.of(errno: code) }
  public var description: String { "\(call): \(sentence(errno: code))" }
}
