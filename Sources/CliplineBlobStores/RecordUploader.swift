import CliplineRecords
import CliplineSystem
import Foundation

/// What `blob-put` does to one record: find its file, upload it to every destination in parallel (or upload once
/// and copy server-side), add the URLs and what was stored, then optionally remove the local file.
///
/// The fields follow the record vocabulary (docs/DEVELOPING.md): for a file in `STEM_path` (`chunk_path`,
/// `clip_path`, ...), `STEM_bytes` and `STEM_sha256` describe the file; for each destination `FIELD`, `FIELD` is
/// its URL and `FIELD_etag` the ETag that service returned (each destination its own, a copy's included).
public struct RecordUploader: Sendable {
  public static let defaultFileFields = ["chunk_path", "clip_path", "thumbnail_path"]

  public let stores: BlobStoreSet
  public let destinations: [UploadDestination]
  public var fileField: String?
  /// The field holding the file's SHA-256 as 64 hex digits, used as the known digest so the file is not read
  /// again to hash it; nil reads `STEM_sha256`, then `chunk_hash` (M1's name for it, which `chunk` writes). The
  /// server (S3 PUT) or the store's own pass checks it; a value that is not 64 hex digits is ignored and the file
  /// is hashed. `knownDigestDisabled` hashes every file.
  public var sha256Field: String?
  public var knownDigestDisabled = false
  public var copyMode = CopyMode.auto
  public var presignLifetime: TimeInterval?
  public var removeSource = false
  public var contentType: String?
  public var now: @Sendable () -> Date = { Date() }
  /// Where `--verbose` lines go (one per upload, with its time); nil says nothing.
  public var log: (@Sendable (String) -> Void)?
  /// Files from this size up fill the link or the server on their own: several at once would only share it and
  /// all finish late, so they upload one record at a time, the earliest record first (`order`). Their server-side
  /// copies, and smaller files, go on meanwhile. (Two at a time made the first M0 chunk message 1.5 s later on the
  /// 2-core bench and the slow link no faster.)
  public var largeFileBytes: Int64 = 16 << 20
  private(set) var largeUploads = OldestFirstSlots(count: 1)
  /// The part requests of bodies sent while they are written, the oldest body's first.
  private(set) var partTurns = PartTurns()

  public init(stores: BlobStoreSet, destinations: [UploadDestination]) {
    self.stores = stores
    self.destinations = destinations
  }

  /// The same uploads, taking turns only among themselves: what one live stream's windows need, so that one
  /// camera's window never waits for another camera's upload.
  public func independent() -> RecordUploader {
    var copy = self
    copy.largeUploads = OldestFirstSlots(count: 1)
    copy.partTurns = PartTurns()
    return copy
  }

  /// `chunk_path` -> `chunk`: the prefix of the fields that describe the file.
  static func stem(ofFileField field: String) -> String {
    field.hasSuffix("_path") && field.count > 5 ? String(field.dropLast(5)) : field
  }

  /// The record with the fields this upload adds; throws (and uploads nothing) when a field or key is unsafe.
  /// `order` (the input line) decides which record's large upload goes first when several wait.
  public func upload(_ record: Record, order: Int = 0) throws -> Record {
    let (fileField, file) = try source(record)
    return try upload(record, body: .file(file), stem: Self.stem(ofFileField: fileField), order: order)
  }

  /// The record with the fields the upload of `body` adds (`stem` names its `STEM_bytes` and `STEM_sha256`): a
  /// file's, bytes held in memory, or a body streamed in while it uploads. The plan first, then the runner of the
  /// body's kind, then the server-side copies (and the digest tags an upload left, beside them), then the fields.
  /// `order` (the input line) decides which record's large upload goes first when several wait.
  public func upload(_ record: Record, body: UploadBody, stem: String, order: Int = 0) throws -> Record {
    let began = Date()
    var plan = try plan(for: record, body: body, stem: stem)
    let uploaded: [StoredBlob]
    switch body {
    case .written(let name, let written, let started):
      (plan, uploaded) = try uploadWritten(written, started: started, plan: plan, name: name)
    case .file(let file): uploaded = try uploadFile(file, plan: plan, order: order)
    case .memory(let name, let bytes): uploaded = try uploadMemory(bytes, name: name, plan: plan, order: order)
    case .stream(let name, let produce): uploaded = try uploadStream(produce, name: name, plan: plan, order: order)
    }
    let (tagged, copied) = try copyAndTag(uploaded, plan: plan, resend: body.resendable, name: body.name)
    let stored = plan.inDestinationOrder(uploaded: tagged, copied: copied)
    UploadMetrics.count(stored, since: began)
    let output = try fields(record, stored: stored, plan: plan, stem: stem)
    if removeSource, case .file(let file) = body { unlink(file) }
    return output
  }

  /// The one place results become fields: per destination its URL, ETag, expiry and presigned URL, and the body's
  /// bytes and SHA-256 under `stem`.
  func fields(_ record: Record, stored: [StoredBlob], plan: UploadPlan, stem: String) throws -> Record {
    var output = record
    for (destination, blob) in zip(destinations, stored) {
      output[destination.field] = .string(blob.location.description)
      output[destination.field + "_etag"] = .string(blob.etag)
      if let expiry = plan.expiry(of: destination) { output[destination.field + "_expires_at"] = expiry }
      if let presignLifetime {
        let url = try stores.store(for: blob.location).presignedURL(
          for: blob.location, method: .get, expires: presignLifetime)
        output[destination.field + "_presigned_url"] = .string(url)
      }
    }
    if let first = stored.first {
      output[stem + "_bytes"] = .integer(first.bytes)
      output[stem + "_sha256"] = .string(first.sha256)
    }
    return output
  }

  /// The field naming the local file, and the file.
  func source(_ record: Record) throws -> (field: String, path: String) {
    if let fileField { return (fileField, try record.requireString(fileField)) }
    for field in Self.defaultFileFields where record.value(at: field) != nil {
      return (field, try record.requireString(field))
    }
    throw InputError.invalidField(
      Self.defaultFileFields[0],
      reason: "is missing (and so are clip_path and thumbnail_path); name the file's field with --file-field")
  }
}
