import CliplineRecords
import CliplineSystem
import Foundation

/// What may appear in a key built from record fields: nothing that climbs out of the template's prefix
/// (`..`, `.`), no absolute paths, no control characters, nothing a backend would refuse or rewrite.
public enum BlobKeyPolicy {
  public struct UnsafeKey: ExitStatusProviding, CustomStringConvertible {
    public let field: String?
    public let value: String
    public let reason: String
    public var exitStatus: ExitStatus { .dataError }
    public var description: String {
      let subject = field.map { "field \"\($0)\" (\"\(value)\")" } ?? "key \"\(value)\""
      return "\(subject) \(reason)"
    }
  }

  /// A value that is an RFC 3339 instant in key form: UTC, `:` → `-`, a fraction only when it has one
  /// (`2026-02-26T14-30-00Z`, as the seed writes keys), so one instant written two ways is one object. Any other
  /// value is returned as it is.
  public static func keyForm(_ value: String) -> String {
    guard let instant = RFC3339.parse(value) else { return value }
    return RFC3339.format(instant, fractionalDigits: 6).replacingOccurrences(of: ":", with: "-")
  }

  /// Checks one field value about to fill a template hole.
  public static func checkFieldValue(_ value: String, field: String) throws -> String {
    if value.isEmpty {
      throw UnsafeKey(field: field, value: value, reason: "is empty, which would make an empty key segment")
    }
    if value.hasPrefix("/") { throw UnsafeKey(field: field, value: value, reason: "is an absolute path") }
    if value.contains("\\") { throw UnsafeKey(field: field, value: value, reason: "contains a backslash") }
    if value.contains("://") { throw UnsafeKey(field: field, value: value, reason: "contains a URL scheme") }
    if value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
      throw UnsafeKey(field: field, value: value, reason: "contains a control character")
    }
    for segment in value.split(separator: "/", omittingEmptySubsequences: false) where segment == ".." || segment == "."
    {
      throw UnsafeKey(field: field, value: value, reason: "contains a \"\(segment)\" path segment")
    }
    return value
  }

  /// Checks one field value about to fill a hole of a destination URL, `before` being what the URL's template rendered
  /// up to it. A value that lands in the bucket (S3), account or container (Azure) may not hold a "/": it would end
  /// that name early and move its rest into the key (`s3://{cache_container_name}/…` with `rtb/sub` writing into
  /// bucket `rtb` under `sub/`).
  public static func checkFieldValue(_ value: String, field: String, before: String) throws -> String {
    if value.contains("/"), namesBucketOrContainer(before) {
      throw UnsafeKey(
        field: field, value: value,
        reason: "fills the bucket or container name of the destination and contains \"/\", which no such name may")
    }
    return try checkFieldValue(value, field: field)
  }

  /// Whether text rendered so far ends inside the bucket (`s3://b`) or the account or container (`az://a/c`).
  static func namesBucketOrContainer(_ before: String) -> Bool {
    for (scheme, names) in [("s3://", 1), ("az://", 2)] where before.hasPrefix(scheme) {
      return before.dropFirst(scheme.count).filter { $0 == "/" }.count < names
    }
    return false
  }

  /// Checks a whole object key (S3 and Azure limit it to 1024 bytes; `//` and dot segments are refused because
  /// the local store and some S3-compatible servers would normalize them into another object).
  public static func checkKey(_ key: String) throws {
    if key.isEmpty { throw UnsafeKey(field: nil, value: key, reason: "is empty") }
    if key.utf8.count > 1024 { throw UnsafeKey(field: nil, value: key, reason: "is longer than 1024 bytes") }
    if key.hasPrefix("/") { throw UnsafeKey(field: nil, value: key, reason: "starts with \"/\"") }
    if key.contains("//") { throw UnsafeKey(field: nil, value: key, reason: "contains an empty segment (\"//\")") }
    if key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
      throw UnsafeKey(field: nil, value: key, reason: "contains a control character")
    }
    for segment in key.split(separator: "/") where segment == ".." || segment == "." {
      throw UnsafeKey(field: nil, value: key, reason: "contains a \"\(segment)\" path segment")
    }
  }

  /// S3 bucket names: 3–63 lower-case letters, digits, dots and hyphens, starting and ending alphanumeric.
  public static func checkBucket(_ name: String) throws {
    let allowed = name.utf8.allSatisfy {
      ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D
    }
    guard (3...63).contains(name.count), allowed, let first = name.first, let last = name.last,
      first.isLetter || first.isNumber, last.isLetter || last.isNumber, !name.contains("..")
    else { throw UnsafeKey(field: nil, value: name, reason: "is not a valid bucket or container name") }
  }

  /// Checks a location as a whole before anything is written.
  public static func check(_ location: BlobLocation) throws {
    switch location {
    case .s3(let bucket, let key):
      try checkBucket(bucket)
      try checkKey(key)
    case .azure(let account, let container, let blob):
      guard (3...24).contains(account.count), account.allSatisfy({ $0.isLowercase || $0.isNumber }) else {
        throw UnsafeKey(field: nil, value: account, reason: "is not a valid storage account name")
      }
      guard !container.contains(".") else {
        throw UnsafeKey(field: nil, value: container, reason: "is not a valid container name (no dots)")
      }
      try checkBucket(container)
      try checkKey(blob)
    case .file(let path):
      guard path.hasPrefix("/") else { throw UnsafeKey(field: nil, value: path, reason: "is not an absolute path") }
      // POSIX reads "//" as "/", so only dot segments could move a local path elsewhere.
      for segment in path.split(separator: "/") where segment == ".." || segment == "." {
        throw UnsafeKey(field: nil, value: path, reason: "contains a \"\(segment)\" path segment")
      }
    case .http:
      throw UnsafeKey(
        field: nil, value: location.description, reason: "is an http(s) URL: uploads go to s3://, az:// or file://")
    }
  }
}
