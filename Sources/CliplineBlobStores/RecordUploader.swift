import Foundation
import CliplineRecords
import CliplineSystem

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

/// What `blob-put` does to one record: find its file, upload it to every destination in parallel, add the URLs,
/// `bytes`, `etag`, `sha256` (and presigned URLs, expiry times), then optionally remove the local file.
public struct RecordUploader: Sendable {
  public static let defaultFileFields = ["chunk_path", "clip_path", "thumbnail_path"]

  public let stores: BlobStoreSet
  public let destinations: [UploadDestination]
  public var fileField: String?
  public var presignLifetime: TimeInterval?
  public var removeSource = false
  public var contentType: String?
  public var now: @Sendable () -> Date = { Date() }
  /// Where `--verbose` lines go (one per upload, with its time); nil says nothing.
  public var log: (@Sendable (String) -> Void)?

  public init(stores: BlobStoreSet, destinations: [UploadDestination]) {
    self.stores = stores
    self.destinations = destinations
  }

  struct Output: Encodable {
    let bytes: Int64
    let etag: String
    let sha256: String
  }

  /// The record with the fields this upload adds; throws (and uploads nothing) when a field or key is unsafe.
  public func upload(_ record: Record) throws -> Record {
    let file = try sourcePath(record)
    let locations = try destinations.map { try location(for: $0, record: record) }
    _ = try localFileSizeOrMissing(file)
    // SHA-256 once for every destination (the record's field), hashed while the uploads run; MD5 only where a
    // backend needs it.
    let digests = PendingDigests(file: file)
    let results = ResultSlots<StoredBlob>(count: destinations.count)
    // Whole seconds, so the tag, the Expires header and the record's field name the same instant.
    let started = Date(timeIntervalSince1970: now().timeIntervalSince1970.rounded(.down))
    let errors = ParallelWork.run(count: destinations.count, width: destinations.count) { index in
      var options = BlobPutOptions(contentType: self.contentType ?? Self.contentType(of: file), pendingDigests: digests)
      if let ttl = self.destinations[index].timeToLive {
        options.expiresAt = started.addingTimeInterval(ttl)
        options.tags[S3Store.lifecycleDaysTag] = String(Int((ttl / 86400).rounded(.up)))
      }
      let location = locations[index]
      let began = Date()
      let stored = try self.stores.store(for: location).put(file: file, to: location, options: options)
      results.set(index, stored)
      self.log?(
        String(
          format: "%@ -> %@: %lld bytes in %.3f s", file, location.description, stored.bytes,
          Date().timeIntervalSince(began)))
    }
    if let failure = errors.compactMap({ $0 }).first { throw failure }

    var output = record
    for (index, destination) in destinations.enumerated() {
      let stored = results.values[index]!
      output[destination.field] = .string(stored.location.description)
      if let ttl = destination.timeToLive {
        output[destination.field + "_expires_at"] = .string(
          RFC3339.format(started.addingTimeInterval(ttl), fractionalDigits: 0))
      }
      if let presignLifetime {
        let url = try stores.store(for: stored.location).presignedURL(
          for: stored.location, method: .get, expires: presignLifetime)
        output[destination.field + "_presigned_url"] = .string(url)
      }
    }
    let first = results.values[0]!
    try output.merge(Output(bytes: first.bytes, etag: first.etag, sha256: first.sha256))
    if removeSource { unlink(file) }
    return output
  }

  func sourcePath(_ record: Record) throws -> String {
    if let fileField { return try record.requireString(fileField) }
    for field in Self.defaultFileFields where record.value(at: field) != nil {
      return try record.requireString(field)
    }
    throw InputError.invalidField(
      Self.defaultFileFields[0],
      reason: "is missing (and so are clip_path and thumbnail_path); name the file's field with --file-field")
  }

  func location(for destination: UploadDestination, record: Record) throws -> BlobLocation {
    let text = try destination.template.render(record) { field, value in
      try BlobKeyPolicy.checkFieldValue(value, field: field)
    }
    let location = try BlobLocation(parsing: text)
    try BlobKeyPolicy.check(location)
    return location
  }

  func localFileSizeOrMissing(_ path: String) throws -> Int64 { try localFileSize(path) }

  static func contentType(of path: String) -> String {
    switch (path as NSString).pathExtension.lowercased() {
    case "mp4", "m4v": return "video/mp4"
    case "mkv": return "video/x-matroska"
    case "ts": return "video/mp2t"
    case "webm": return "video/webm"
    case "jpg", "jpeg": return "image/jpeg"
    case "png": return "image/png"
    case "json": return "application/json"
    default: return "application/octet-stream"
    }
  }
}

/// Results filled in by parallel jobs, one slot each.
final class ResultSlots<Value>: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: [Value?]

  init(count: Int) { stored = Array(repeating: nil, count: count) }

  func set(_ index: Int, _ value: Value) { lock.withLock { stored[index] = value } }
  var values: [Value?] { lock.withLock { stored } }
}
