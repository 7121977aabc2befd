internal import CCliplineCrypto

/// The libcrypto this process runs with, for `--version`.
public enum CryptoLibrary {
  /// OpenSSL's own line: "OpenSSL 3.0.17 1 Jul 2025".
  public static var version: String { String(cString: OpenSSL_version(OPENSSL_VERSION)) }
}
