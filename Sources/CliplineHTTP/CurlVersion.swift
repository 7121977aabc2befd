internal import CCliplineCurl

/// The libcurl this process runs with, for `--version`.
public enum CurlLibrary {
  /// "8.5.0": the first word of curl_version() ("libcurl/8.5.0 OpenSSL/3.0.13 ...") without its name.
  public static var version: String {
    let words = String(cString: curl_version()).split(separator: " ")
    return words.first.map { String($0.drop(while: { $0 != "/" }).dropFirst()) } ?? "unknown"
  }
}
