import Foundation

/// stderr as the tools use it: whole lines, written past EINTR, a failure ignored (nowhere is left to report it).
public enum StandardError {
  public static func write(_ text: String) {
    var bytes = Array(text.utf8)
    bytes.withUnsafeMutableBytes { try? FileDescriptorIO.writeAll(STDERR_FILENO, UnsafeRawBufferPointer($0)) }
  }
}
