import CliplineRecords
import CliplineSystem
import Foundation

/// One `--to` destination: a template over record fields, the field that receives the URL, and a time to live
/// when the destination is a cache.
public struct UploadDestination: Sendable {
  public let template: RecordTemplate
  public let field: String
  public var timeToLive: TimeInterval?

  public struct Invalid: ExitStatusProviding, CustomStringConvertible {
    public let description: String
    public var exitStatus: ExitStatus { .usage }
  }

  /// `TEMPLATE=FIELD` (the last `=` separates them), or `TEMPLATE` alone for the field `url`.
  public init(parsing text: String) throws {
    var templateText = text
    var field = "url"
    if let equals = text.lastIndex(of: "=") {
      let candidate = String(text[text.index(after: equals)...])
      if !candidate.isEmpty, candidate.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
        field = candidate
        templateText = String(text[..<equals])
      }
    }
    template = try RecordTemplate(templateText)
    self.field = field
    guard
      let scheme = templateText.range(of: "://").map({ templateText[..<$0.lowerBound] })
        ?? (templateText.hasPrefix("/") ? "file" : nil),
      ["s3", "az", "file"].contains(scheme.lowercased())
    else {
      throw Invalid(description: "--to \"\(text)\": a destination starts with s3://, az:// or file:///")
    }
    // The bucket (or account/container) may come from a field, but never the whole URL: a scheme must be literal.
    if let firstHole = templateText.firstIndex(of: "{"), let schemeEnd = templateText.range(of: "://"),
      firstHole < schemeEnd.upperBound
    {
      throw Invalid(description: "--to \"\(text)\": the scheme must be written out, not taken from a field")
    }
  }
}

/// How a record's second destination on the same service and account is written.
public enum CopyMode: String, Sendable, CaseIterable {
  /// A server-side copy where the service can make one (S3 to S3, Azure to Azure on one account); an upload where
  /// it refuses (a server without CopyObject, a blob over Put Blob From URL's limit) or for file://.
  case auto
  /// A server-side copy for every such pair; a refused copy fails the record.
  case server
  /// Every destination uploads the file.
  case upload
}
