import CliplineHTTP
import Foundation

/// The URL and header spellings S3 and Azure share: RFC 3986 percent-encoding (HTTPClient's, the one SigV4 signs),
/// tag forms, HTTP dates.
enum HTTPEncoding {
  static func path(_ text: String) -> String { HTTPClient.percentEncode(text, keepSlash: true) }
  static func query(_ text: String) -> String { HTTPClient.percentEncode(text, keepSlash: false) }

  /// `a=b&c=d`, for S3's `x-amz-tagging` and tag-set bodies.
  static func form(_ pairs: [String: String]) -> String {
    pairs.sorted { $0.key < $1.key }.map { query($0.key) + "=" + query($0.value) }.joined(separator: "&")
  }

  /// RFC 7231 date, for `Expires`.
  static func httpDate(_ date: Date) -> String {
    var seconds = time_t(date.timeIntervalSince1970)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    var buffer = [Int8](repeating: 0, count: 64)
    let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
    return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// `Sun, 06 Nov 1994 08:49:37 GMT` (the only form servers send today).
  static func parseHTTPDate(_ text: String) -> Date? {
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    let parts = text.split(separator: " ")
    guard parts.count == 6, let day = Int(parts[1]), let month = months.firstIndex(of: String(parts[2])),
      let year = Int(parts[3])
    else { return nil }
    let clock = parts[4].split(separator: ":").compactMap { Int($0) }
    guard clock.count == 3 else { return nil }
    var components = tm()
    components.tm_year = Int32(year - 1900)
    components.tm_mon = Int32(month)
    components.tm_mday = Int32(day)
    components.tm_hour = Int32(clock[0])
    components.tm_min = Int32(clock[1])
    components.tm_sec = Int32(clock[2])
    return Date(timeIntervalSince1970: TimeInterval(timegm(&components)))
  }
}
