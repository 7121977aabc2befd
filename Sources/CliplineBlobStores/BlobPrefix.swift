import CliplineSources
import Foundation

extension BlobLocation {
  /// A location naming a prefix rather than an object: like `init(parsing:)`, but `s3://bucket`, `s3://bucket/`
  /// and `az://account/container/` are allowed (the key or blob part is then the empty prefix).
  public init(parsingPrefix text: String) throws {
    if let location = try? BlobLocation(parsing: text) {
      self = location
      return
    }
    var trimmed = text
    while trimmed.hasSuffix("/") { trimmed.removeLast() }
    if trimmed.lowercased().hasPrefix("s3://") {
      let bucket = String(trimmed.dropFirst(5))
      guard !bucket.isEmpty, !bucket.contains("/") else {
        throw InvalidLocation(text: text, reason: "expected s3://bucket/prefix")
      }
      self = .s3(bucket: bucket, key: "")
      return
    }
    if trimmed.lowercased().hasPrefix("az://") {
      let parts = trimmed.dropFirst(5).split(separator: "/", omittingEmptySubsequences: false)
      guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty }) else {
        throw InvalidLocation(text: text, reason: "expected az://account/container/prefix")
      }
      self = .azure(account: String(parts[0]), container: String(parts[1]), blob: "")
      return
    }
    self = try BlobLocation(parsing: text)
  }
}
