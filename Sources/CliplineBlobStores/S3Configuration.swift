import CliplineAWS
import Foundation
import CliplineRecords
import CliplineSystem

/// How an S3 bucket is addressed: `https://bucket.host/key` (virtual-hosted, AWS's default) or
/// `https://host/bucket/key` (path-style, what most S3-compatible servers want).
public enum S3Addressing: String, Sendable, CaseIterable {
  /// Virtual-hosted on AWS, path-style on a custom endpoint or for bucket names with dots.
  case auto
  case path
  case virtual
}

/// Where S3 is, who we are, and how big transfers are cut.
public struct S3Configuration: Sendable {
  /// A custom endpoint (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`), or nil for AWS itself.
  public var endpoint: String?
  public var region: String
  public var credentials: AWSCredentialsProvider
  public var addressing: S3Addressing
  /// Files at least this large are sent as multipart uploads; objects this large are fetched in parallel ranges.
  public var multipartThreshold: Int64 = 16 << 20
  public var partSize: Int64 = 16 << 20
  /// Parts (or ranges) in flight at once for one object.
  public var concurrency = 8
  /// Server-side copies of objects this large go as UploadPartCopy parts (CopyObject stops at 5 GiB).
  public var copyPartThreshold: Int64 = 5 << 30
  public var retry = RetryPolicy(attempts: 5, baseDelay: 0.25, maximumDelay: 8)

  public init(
    endpoint: String?, region: String, credentials: AWSCredentialsProvider, addressing: S3Addressing = .auto
  ) {
    self.endpoint = endpoint.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    self.region = region
    self.credentials = credentials
    self.addressing = addressing
  }

  /// The usual resolution: flags, then `AWS_ENDPOINT_URL_S3`/`AWS_ENDPOINT_URL`, `AWS_REGION`…, the credential chain;
  /// `AWS_S3_ADDRESSING_STYLE` (path|virtual|auto) when no flag says.
  public static func standard(
    endpoint: String? = nil, region: String? = nil, profile: String? = nil, accessKeyId: String? = nil,
    secretAccessKey: String? = nil, addressing: S3Addressing? = nil
  ) -> S3Configuration {
    let resolvedRegion = AWSRegion.resolve(flag: region, profile: profile)
    let custom = Settings.resolve(flag: endpoint, environment: "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
    let style = addressing ?? Settings.environment("AWS_S3_ADDRESSING_STYLE").flatMap(S3Addressing.init) ?? .auto
    return S3Configuration(
      endpoint: custom, region: resolvedRegion,
      credentials: AWSCredentialChain.standard(
        profile: profile, accessKeyId: accessKeyId, secretAccessKey: secretAccessKey),
      addressing: style)
  }

  /// The custom endpoint, else AWS's regional one (the environment was read once, in `standard`).
  var baseEndpoint: String {
    endpoint ?? "https://s3.\(region).amazonaws.com" + (region.hasPrefix("cn-") ? ".cn" : "")
  }

  func usesPathStyle(bucket: String) -> Bool {
    switch addressing {
    case .path: return true
    case .virtual: return false
    case .auto: return endpoint != nil || bucket.contains(".")
    }
  }

  /// The object's URL (key encoded once, `/` kept), with an optional raw query string.
  public func url(bucket: String, key: String, query: String? = nil) -> String {
    let encodedKey = key.isEmpty ? "" : HTTPEncoding.path(key)
    let suffix = query.map { "?" + $0 } ?? ""
    let base = baseEndpoint
    if usesPathStyle(bucket: bucket) {
      return "\(base)/\(bucket)" + (key.isEmpty ? "" : "/" + encodedKey) + suffix
    }
    guard let schemeEnd = base.range(of: "://") else { return "\(base)/\(bucket)/\(encodedKey)\(suffix)" }
    return base[..<schemeEnd.upperBound] + bucket + "." + base[schemeEnd.upperBound...] + "/" + encodedKey + suffix
  }
}

/// Percent-encoding as S3 and Azure want it in paths and queries.
enum HTTPEncoding {
  static func path(_ text: String) -> String { percentEncode(text, keepSlash: true) }
  static func query(_ text: String) -> String { percentEncode(text, keepSlash: false) }

  static func percentEncode(_ text: String, keepSlash: Bool) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for byte in text.utf8 {
      switch byte {
      case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
        UInt8(ascii: "~"):
        out.unicodeScalars.append(Unicode.Scalar(byte))
      case UInt8(ascii: "/") where keepSlash:
        out.append("/")
      default:
        out += String(format: "%%%02X", byte)
      }
    }
    return out
  }

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
