import CliplineCrypto
import Foundation

/// Azure Storage SharedKey authorization and service SAS generation, as the Blob REST reference specifies
/// (and as the azure-storage-blob package computes them: its code checks ours in the test endpoint).
public struct AzureSharedKeySigner: Sendable {
  public let account: String
  public let key: [UInt8]

  public init(account: String, key: [UInt8]) {
    self.account = account
    self.key = key
  }

  static let standardHeaders = [
    "content-encoding", "content-language", "content-length", "content-md5", "content-type", "date",
    "if-modified-since", "if-match", "if-none-match", "if-unmodified-since", "range",
  ]

  /// The `Authorization: SharedKey account:signature` value for a request whose headers are final
  /// (including `x-ms-date`, `x-ms-version` and the `Content-Length` curl will send).
  public func authorization(method: String, url: String, headers: [(name: String, value: String)]) -> String {
    "SharedKey \(account):" + signature(stringToSign(method: method, url: url, headers: headers))
  }

  func signature(_ text: String) -> String { HMAC.sha256(key: key, message: text).base64String }

  func stringToSign(method: String, url: String, headers: [(name: String, value: String)]) -> String {
    var lowered: [String: String] = [:]
    for (name, value) in headers where !value.isEmpty { lowered[name.lowercased()] = value }
    if lowered["content-length"] == "0" { lowered["content-length"] = nil }
    // The SDK signs the standard Range header as empty; we send ranges as x-ms-range instead, which it signs.
    lowered["range"] = nil
    var text = method.uppercased() + "\n"
    text += Self.standardHeaders.map { lowered[$0] ?? "" }.joined(separator: "\n") + "\n"
    let msHeaders = lowered.filter { $0.key.hasPrefix("x-ms-") }
      .sorted {
        Self.collationKey($0.key) == Self.collationKey($1.key)
          ? $0.key < $1.key : Self.collationKey($0.key) < Self.collationKey($1.key)
      }
    for (name, value) in msHeaders { text += "\(name):\(value)\n" }
    let (path, query) = Self.split(url)
    text += "/" + account + path
    let sortedQuery = query.sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
    for (name, value) in sortedQuery { text += "\n\(name.lowercased()):\(value)" }
    return text
  }

  /// Azure's header collation ignores hyphens at its first level; for the x-ms headers we send, ordering by the
  /// name without hyphens reproduces it.
  static func collationKey(_ name: String) -> String { name.replacingOccurrences(of: "-", with: "") }

  /// The URL's path (as sent) and its query items (decoded).
  static func split(_ url: String) -> (String, [(String, String)]) {
    var rest = Substring(url)
    if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
    let pathStart = rest.firstIndex(of: "/") ?? rest.endIndex
    rest = rest[pathStart...]
    let queryStart = rest.firstIndex(of: "?")
    let path = String(rest[..<(queryStart ?? rest.endIndex)])
    var items: [(String, String)] = []
    if let queryStart {
      for pair in rest[rest.index(after: queryStart)...].split(separator: "&") {
        let pieces = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(pieces[0]).removingPercentEncoding ?? String(pieces[0])
        let value = pieces.count > 1 ? (String(pieces[1]).removingPercentEncoding ?? String(pieces[1])) : ""
        items.append((name, value))
      }
    }
    return (path.isEmpty ? "/" : path, items)
  }

  /// A service SAS for one blob (`sr=b`): the Azure equivalent of a presigned URL's query string.
  public func blobSAS(
    container: String, blob: String, permissions: String, expiry: Date, start: Date? = nil, protocols: String? = nil,
    version: String = AzureConfiguration.apiVersion
  ) -> String {
    let se = Self.sasTime(expiry)
    let st = start.map(Self.sasTime) ?? ""
    let resource = "/blob/\(account)/\(container)/\(blob)"
    let fields = [
      permissions, st, se, resource, "", "", protocols ?? "", version, "b", "", "", "", "", "", "", "",
    ]
    let signature = self.signature(fields.joined(separator: "\n"))
    var query = [("sp", permissions)]
    if !st.isEmpty { query.append(("st", st)) }
    query += [("se", se)]
    if let protocols { query.append(("spr", protocols)) }
    query += [("sv", version), ("sr", "b"), ("sig", signature)]
    return query.map { "\($0.0)=\(HTTPEncoding.query($0.1))" }.joined(separator: "&")
  }

  static func sasTime(_ date: Date) -> String {
    var seconds = time_t(date.timeIntervalSince1970)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    return String(
      format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
  }
}
