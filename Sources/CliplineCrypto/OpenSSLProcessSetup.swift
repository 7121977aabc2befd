internal import CCliplineCrypto

/// OpenSSL's process-wide set-up, made once before anything else in the process uses libcrypto (our digests,
/// libcurl's TLS, rabbitmq-c's TLS): without the cleanup OpenSSL would otherwise register with atexit(3).
///
/// That cleanup frees libcrypto's global state while `exit` runs, and a thread still inside libcrypto then
/// (a download or a hash on a pool thread the tool does not wait for at exit) crashes the process with SIGSEGV
/// after its work is done and its records are out: CI saw `chunk` die so, with a tail fetch still running. The
/// kernel frees everything at exit anyway. The first `OPENSSL_init_crypto` of a process decides, so every entry
/// into libcrypto that can come first (`Digest`, `HMAC`, `HTTPClient`, the AMQP TLS socket) goes through this.
public enum OpenSSLProcessSetup {
  public static let done: Void = { _ = OPENSSL_init_crypto(UInt64(OPENSSL_INIT_NO_ATEXIT), nil) }()
}
