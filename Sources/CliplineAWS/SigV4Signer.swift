import CliplineCrypto
import CliplineHTTP
import Foundation

/// AWS Signature Version 4 (`AWS4-HMAC-SHA256`), for request headers and for presigned URLs.
/// S3 differs from the other services in two ways that matter: its paths are signed as sent (not normalized and
/// not encoded twice), and it wants the payload hash in `x-amz-content-sha256`.
public struct SigV4Signer: Sendable {
  public let credentials: AWSCredentials
  public let region: String
  public let service: String

  public static let emptyPayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
  public static let unsignedPayload = "UNSIGNED-PAYLOAD"
  /// The longest a presigned URL may live (7 days).
  public static let maximumPresignedLifetime: TimeInterval = 604_800

  /// Headers a proxy or libcurl may add or change: signing them would break the signature (botocore's list).
  static let unsignedHeaders: Set<String> = [
    "expect", "transfer-encoding", "user-agent", "x-amzn-trace-id", "authorization",
  ]

  public init(credentials: AWSCredentials, region: String, service: String) {
    self.credentials = credentials
    self.region = region
    self.service = service
  }

  var isS3: Bool { service == "s3" }

  /// Adds `x-amz-date`, `x-amz-content-sha256` (S3), `x-amz-security-token` and `Authorization`.
  /// Without `payloadSHA256`, a body in memory is hashed; a file body is sent `UNSIGNED-PAYLOAD` to S3 (its
  /// integrity is carried by a checksum header instead) and hashed from disk for the other services.
  public func sign(_ request: inout HTTPRequest, payloadSHA256: String? = nil, date: Date = Date()) {
    let stamp = AWSDateStamp(date)
    request.setHeader("X-Amz-Date", stamp.dateTime)
    if let token = credentials.sessionToken { request.setHeader("X-Amz-Security-Token", token) }
    let payload = payloadSHA256 ?? payloadHash(of: request.body)
    if isS3 { request.setHeader("X-Amz-Content-SHA256", payload) }
    let parts = URLParts(request.url)
    var headers = request.headers.filter { !Self.unsignedHeaders.contains($0.name.lowercased()) }
    if request.header("Host") == nil { headers.append(("host", parts.hostHeader)) }
    let canonical = canonicalRequest(
      method: request.method, parts: parts, query: parts.query, headers: headers, payloadHash: payload)
    let signature = self.signature(canonicalRequest: canonical.text, stamp: stamp)
    request.setHeader(
      "Authorization",
      "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope(stamp)), "
        + "SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)")
  }

  /// A URL anyone can use until `expires` seconds after `date` (at most 7 days), signed for the host only.
  public func presignedURL(method: String, url: String, expires: TimeInterval, date: Date = Date()) -> String {
    let stamp = AWSDateStamp(date)
    let parts = URLParts(url)
    let lifetime = Int(min(max(1, expires), Self.maximumPresignedLifetime))
    var query = parts.query
    query.append(("X-Amz-Algorithm", "AWS4-HMAC-SHA256"))
    query.append(("X-Amz-Credential", "\(credentials.accessKeyId)/\(scope(stamp))"))
    query.append(("X-Amz-Date", stamp.dateTime))
    query.append(("X-Amz-Expires", String(lifetime)))
    if let token = credentials.sessionToken { query.append(("X-Amz-Security-Token", token)) }
    query.append(("X-Amz-SignedHeaders", "host"))
    let canonical = canonicalRequest(
      method: method, parts: parts, query: query, headers: [("host", parts.hostHeader)],
      payloadHash: Self.unsignedPayload)
    let signature = self.signature(canonicalRequest: canonical.text, stamp: stamp)
    return parts.base + parts.path + "?" + Self.canonicalQuery(query) + "&X-Amz-Signature=" + signature
  }

  // MARK: - The steps, visible to tests

  func scope(_ stamp: AWSDateStamp) -> String { "\(stamp.date)/\(region)/\(service)/aws4_request" }

  func payloadHash(of body: HTTPBody) -> String {
    switch body {
    case .none: return Self.emptyPayloadSHA256
    case .bytes(let bytes): return Digest.sha256(bytes).hexString
    case .pieces(let pieces):
      let digest = try! Digest(.sha256)
      for piece in pieces.pieces { digest.update(piece) }
      return digest.finish().hexString
    // Not there yet: a produced body is signed as its caller says (a streaming payload kind).
    case .stream: return Self.unsignedPayload
    case .file(let path, let offset, let length):
      if isS3 { return Self.unsignedPayload }
      guard let handle = FileHandle(forReadingAtPath: path) else { return Self.unsignedPayload }
      defer { try? handle.close() }
      try? handle.seek(toOffset: UInt64(offset))
      let digest = try! Digest(.sha256)
      var remaining = length ?? Int64.max
      while remaining > 0, let data = try? handle.read(upToCount: Int(min(remaining, 1 << 20))), !data.isEmpty {
        digest.update(data)
        remaining -= Int64(data.count)
      }
      return digest.finish().hexString
    }
  }

  struct CanonicalRequest {
    let text: String
    let signedHeaders: String
  }

  func canonicalRequest(
    method: String, parts: URLParts, query: [(String, String)], headers: [(name: String, value: String)],
    payloadHash: String
  ) -> CanonicalRequest {
    var merged: [String: [String]] = [:]
    for (name, value) in headers {
      merged[name.lowercased(), default: []].append(Self.trimmedHeaderValue(value))
    }
    let names = merged.keys.sorted()
    let canonicalHeaders = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
    let signedHeaders = names.joined(separator: ";")
    let text = [
      method.uppercased(), canonicalURI(parts.path), Self.canonicalQuery(query), canonicalHeaders, signedHeaders,
      payloadHash,
    ].joined(separator: "\n")
    return CanonicalRequest(text: text, signedHeaders: signedHeaders)
  }

  func stringToSign(canonicalRequest: String, stamp: AWSDateStamp) -> String {
    ["AWS4-HMAC-SHA256", stamp.dateTime, scope(stamp), Digest.sha256(canonicalRequest).hexString]
      .joined(separator: "\n")
  }

  func signature(canonicalRequest: String, stamp: AWSDateStamp) -> String {
    var key = HMAC.sha256(key: Array(("AWS4" + credentials.secretAccessKey).utf8), message: stamp.date)
    key = HMAC.sha256(key: key, message: region)
    key = HMAC.sha256(key: key, message: service)
    key = HMAC.sha256(key: key, message: "aws4_request")
    return HMAC.sha256(key: key, message: stringToSign(canonicalRequest: canonicalRequest, stamp: stamp)).hexString
  }

  /// S3 signs the path as sent (each segment encoded once); the others normalize it and encode it again.
  func canonicalURI(_ path: String) -> String {
    if path.isEmpty { return "/" }
    if isS3 {
      return path.split(separator: "/", omittingEmptySubsequences: false)
        .map { HTTPClient.percentEncode(String($0).removingPercentEncoding ?? String($0)) }
        .joined(separator: "/")
    }
    return HTTPClient.percentEncode(Self.removingDotSegments(path), keepSlash: true)
  }

  /// RFC 3986 dot-segment removal and empty-segment collapse, as botocore normalizes non-S3 paths.
  static func removingDotSegments(_ path: String) -> String {
    var output: [Substring] = []
    for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
      switch segment {
      case ".": continue
      case "..": if !output.isEmpty { output.removeLast() }
      default: output.append(segment)
      }
    }
    var normalized = "/" + output.joined(separator: "/")
    if path.hasSuffix("/"), normalized != "/" { normalized += "/" }
    return normalized
  }

  /// Names and values encoded strictly (RFC 3986), sorted by name then value.
  static func canonicalQuery(_ items: [(String, String)]) -> String {
    let encoded: [(name: String, value: String)] = items.map {
      (HTTPClient.percentEncode($0.0), HTTPClient.percentEncode($0.1))
    }
    let sorted = encoded.sorted { (a, b) -> Bool in a.name == b.name ? a.value < b.value : a.name < b.name }
    return sorted.map { pair -> String in pair.name + "=" + pair.value }.joined(separator: "&")
  }

  static func trimmedHeaderValue(_ value: String) -> String {
    let blanks: Set<Character> = [" ", "\t", "\n", "\r"]
    return value.split(whereSeparator: { blanks.contains($0) }).joined(separator: " ")
  }
}

/// A URL taken apart the way signing needs it, without Foundation re-encoding anything.
struct URLParts {
  /// `scheme://authority`
  let base: String
  let host: String
  let port: Int?
  let scheme: String
  /// The path as it will be sent (already percent-encoded), or as given.
  let path: String
  /// Query items, percent-decoded.
  let query: [(String, String)]

  init(_ url: String) {
    var rest = Substring(url)
    var scheme = "https"
    if let range = rest.range(of: "://") {
      scheme = rest[..<range.lowerBound].lowercased()
      rest = rest[range.upperBound...]
    }
    let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
    var authority = rest[..<authorityEnd]
    if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
    rest = rest[authorityEnd...]
    if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
    let queryStart = rest.firstIndex(of: "?")
    let path = String(rest[..<(queryStart ?? rest.endIndex)])
    var query: [(String, String)] = []
    if let queryStart {
      for pair in rest[rest.index(after: queryStart)...].split(separator: "&") where !pair.isEmpty {
        let pieces = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(pieces[0]).removingPercentEncoding ?? String(pieces[0])
        let value = pieces.count > 1 ? (String(pieces[1]).removingPercentEncoding ?? String(pieces[1])) : ""
        query.append((name, value))
      }
    }
    var host = String(authority)
    var port: Int?
    if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]"),
      let parsed = Int(authority[authority.index(after: colon)...])
    {
      host = String(authority[..<colon])
      port = parsed
    }
    self.scheme = scheme
    self.base = "\(scheme)://\(authority)"
    self.host = host.lowercased()
    self.port = port
    self.path = path.isEmpty ? "/" : path
    self.query = query
  }

  /// What curl sends as `Host`: the port only when it is not the scheme's default.
  var hostHeader: String {
    guard let port, !(scheme == "https" && port == 443), !(scheme == "http" && port == 80) else { return host }
    return "\(host):\(port)"
  }
}

/// `20150830T123600Z` and `20150830`, in UTC, without a DateFormatter's locale surprises.
struct AWSDateStamp {
  let dateTime: String
  let date: String

  init(_ value: Date) {
    var seconds = time_t(value.timeIntervalSince1970.rounded(.down))
    var parts = tm()
    gmtime_r(&seconds, &parts)
    date = String(format: "%04d%02d%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday))
    dateTime = date + String(format: "T%02d%02d%02dZ", Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
  }
}
