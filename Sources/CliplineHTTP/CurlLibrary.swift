internal import CCliplineCurl
import CliplineCrypto
import CliplineSystem

/// libcurl, loaded the first time a tool makes an HTTP client instead of by the dynamic linker at every start
/// (`SharedLibraries`): with the ~25 libraries it pulls in (GnuTLS, Kerberos, LDAP, …, whose constructors run at
/// load) it is most of what a small tool's start-up mapped and relocated.
public enum CurlLibrary {
  /// libcurl 7 and 8 share the ABI of soname 4.
  static let soname = "libcurl.so.4"

  private static let loaded: Result<Void, any Error> = Result {
    try OpenSSLProcessSetup.load()  // before libcurl initialises OpenSSL for TLS
    try SharedLibraries.open([soname], of: "libcurl", install: "libcurl (libcurl4)")
    curl_global_init(Int(CURL_GLOBAL_ALL))
  }

  /// Loads and initialises libcurl the first time; afterwards returns at once, or throws the same error again.
  public static func load() throws { try loaded.get() }

  /// `load()` for a caller that cannot throw: a libcurl that cannot be loaded ends the process with its sentence.
  static var required: Void { SharedLibraries.require(loaded) }

  /// "8.5.0": the first word of curl_version() ("libcurl/8.5.0 OpenSSL/3.0.13 ...") without its name; or why
  /// libcurl cannot be loaded.
  public static var version: String {
    do {
      try load()
    } catch {
      return "not loaded (\(error))"
    }
    let words = String(cString: curl_version()).split(separator: " ")
    return words.first.map { String($0.drop(while: { $0 != "/" }).dropFirst()) } ?? "unknown"
  }
}
