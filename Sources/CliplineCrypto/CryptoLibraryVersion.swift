internal import CCliplineCrypto

/// The libcrypto this process runs with, for `--version` (loading it), or why it cannot be loaded.
public enum CryptoLibrary {
  /// OpenSSL's own line: "OpenSSL 3.0.17 1 Jul 2025".
  public static var version: String {
    do {
      try OpenSSLProcessSetup.load()
    } catch {
      return "not loaded (\(error))"
    }
    return String(cString: OpenSSL_version(OPENSSL_VERSION))
  }
}
