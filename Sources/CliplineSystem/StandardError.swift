import Foundation

/// stderr as the tools use it: whole lines, written past EINTR, a failure ignored (nowhere is left to report it).
public enum StandardError {
  public static func write(_ text: String) {
    var bytes = Array(text.utf8)
    bytes.withUnsafeMutableBytes { raw in
      var offset = 0
      while offset < raw.count {
        let written = Foundation.write(STDERR_FILENO, raw.baseAddress! + offset, raw.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          return
        }
        offset += written
      }
    }
  }
}
