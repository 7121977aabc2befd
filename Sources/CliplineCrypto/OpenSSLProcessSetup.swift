internal import CCliplineCrypto
import CliplineSystem

/// OpenSSL's process-wide set-up, made once before anything else in the process uses libcrypto (our digests,
/// libcurl's TLS, rabbitmq-c's TLS): without the cleanup OpenSSL would otherwise register with atexit(3).
///
/// That cleanup frees libcrypto's global state while `exit` runs, and a thread still inside libcrypto then
/// (a download or a hash on a pool thread the tool does not wait for at exit) crashes the process with SIGSEGV
/// after its work is done and its records are out: CI saw `chunk` die so, with a tail fetch still running. The
/// kernel frees everything at exit anyway. The first `OPENSSL_init_crypto` of a process decides, so every entry
/// into libcrypto that can come first (`Digest`, `HMAC`, `HTTPClient`, the AMQP TLS socket) goes through this.
///
/// libcrypto is not linked but loaded here, the first time (`SharedLibraries`): record-shape or amqp-pub without
/// TLS never map it.
public enum OpenSSLProcessSetup {
  private static let loaded: Result<Void, any Error> = Result {
    try SharedLibraries.open(["libcrypto.so.\(OPENSSL_VERSION_MAJOR)"], of: "OpenSSL", install: "OpenSSL's libcrypto")
    _ = OPENSSL_init_crypto(UInt64(OPENSSL_INIT_NO_ATEXIT), nil)
  }

  /// Loads and sets up libcrypto the first time; afterwards returns at once, or throws the same error again.
  public static func load() throws { try loaded.get() }

  /// `load()` for a caller that cannot throw: a libcrypto that cannot be loaded ends the process with its sentence.
  public static var done: Void { SharedLibraries.require(loaded) }
}
