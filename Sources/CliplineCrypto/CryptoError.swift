internal import CCliplineCrypto
import CliplineSystem

/// A libcrypto failure, with OpenSSL's own message and the operation that failed.
public struct CryptoError: Error, CustomStringConvertible {
  public let operation: String
  public let message: String

  public var description: String { "libcrypto \(operation) failed: \(message)" }

  static func last(_ operation: String) -> CryptoError {
    var buffer = [CChar](repeating: 0, count: 256)
    let code = ERR_get_error()
    ERR_error_string_n(code, &buffer, buffer.count)
    return CryptoError(operation: operation, message: code == 0 ? "unknown error" : String(nulTerminated: buffer))
  }
}

@inline(__always)
func check(_ result: Int32, _ operation: String) throws {
  guard result == 1 else { throw CryptoError.last(operation) }
}
