import CliplineRecords
import CliplineSystem
import Foundation

/// What one record's upload does before any byte moves: where each destination goes, how it is stored, and which
/// destinations are uploaded and which are server-side copies of an upload. Every destination is exactly one of
/// them.
struct UploadPlan {
  /// A destination whose bytes are sent, and the later destinations copied from it once it is stored.
  struct Upload {
    let destination: Int
    let store: BlobStore
    let copies: [Copy]
  }

  /// A destination on the same service and account as its upload: the service copies the object.
  struct Copy {
    let destination: Int
    let store: ServerSideCopying
  }

  let locations: [BlobLocation]
  let options: [BlobPutOptions]
  let uploads: [Upload]
  /// Whole seconds, so the tag, the Expires header and the record's field name the same instant.
  let started: Date
  /// The record's field whose SHA-256 was taken as the file's, if one was.
  let knownDigestField: String?

  /// Every server-side copy, with the position in `uploads` of the upload it copies.
  var copies: [(copy: Copy, upload: Int)] {
    uploads.enumerated().flatMap { position, upload in upload.copies.map { ($0, position) } }
  }

  /// What was stored, one per destination in their order: `uploaded` follows `uploads`, `copied` follows `copies`.
  func inDestinationOrder(uploaded: [StoredBlob], copied: [StoredBlob]) -> [StoredBlob] {
    let pairs =
      zip(uploads.map(\.destination), uploaded).map { ($0, $1) }
      + zip(copies.map(\.copy.destination), copied).map { ($0, $1) }
    return pairs.sorted { $0.0 < $1.0 }.map(\.1)
  }
}

extension RecordUploader {
  /// Throws (and nothing is uploaded) when a field or key is unsafe, or a file is missing.
  func plan(for record: Record, body: UploadBody, stem: String) throws -> UploadPlan {
    let locations = try destinations.map { try location(for: $0, record: record) }
    var digestField: String?
    var options = BlobPutOptions(contentType: contentType ?? Self.contentType(of: body.name))
    switch body {
    case .file(let file):
      let size = try localFileSize(file)
      digestField = knownDigestField(record, stem: stem)
      options.knownDigests = digestField.flatMap { Self.knownSHA256(record, field: $0) }.map {
        FileDigests(sha256: $0, md5: [], bytes: size)
      }
      // SHA-256 once for every destination that needs it (started by the first that does); MD5 only where a
      // backend needs it.
      options.pendingDigests = PendingDigests(file: file)
    case .memory(_, let bytes):
      options.knownDigests = FileDigests(sha256: bytes.sha256, md5: [], bytes: bytes.byteCount)
    case .written(_, let body, _):
      options.knownDigests = FileDigests(sha256: body.sha256, md5: [], bytes: body.byteCount)
    case .stream:
      break  // hashed as it arrives
    }
    let started = Date(timeIntervalSince1970: now().timeIntervalSince1970.rounded(.down))
    var destinationOptions = destinations.map { options.expiring(after: $0.timeToLive, from: started) }
    let uploads = try uploads(to: locations)
    // An upload that is copied sets its late digest tags beside its copies (copyAndTag), not before them.
    for upload in uploads where !upload.copies.isEmpty {
      destinationOptions[upload.destination].digestTagsByCaller = true
    }
    return UploadPlan(
      locations: locations, options: destinationOptions, uploads: uploads, started: started,
      knownDigestField: digestField)
  }

  /// Each destination uploaded, with the later ones that are its server-side copies (`copyMode`).
  func uploads(to locations: [BlobLocation]) throws -> [UploadPlan.Upload] {
    var uploads: [(destination: Int, store: BlobStore, copies: [UploadPlan.Copy])] = []
    for (index, location) in locations.enumerated() {
      let store = try stores.store(for: location)
      if copyMode != .upload, let copier = store as? ServerSideCopying,
        let source = uploads.firstIndex(where: { copier.canCopy(from: locations[$0.destination], to: location) })
      {
        uploads[source].copies.append(UploadPlan.Copy(destination: index, store: copier))
      } else {
        uploads.append((index, store, []))
      }
    }
    return uploads.map { UploadPlan.Upload(destination: $0.destination, store: $0.store, copies: $0.copies) }
  }

  func location(for destination: UploadDestination, record: Record) throws -> BlobLocation {
    let text = try destination.template.render(record) { field, value, before in
      try BlobKeyPolicy.checkFieldValue(BlobKeyPolicy.keyForm(value), field: field, before: before)
    }
    let location = try BlobLocation(parsing: text)
    try BlobKeyPolicy.check(location)
    return location
  }

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

extension BlobPutOptions {
  /// A destination with a time to live (a cache) is tagged and dated to expire `ttl` after `started`.
  func expiring(after ttl: TimeInterval?, from started: Date) -> BlobPutOptions {
    guard let ttl else { return self }
    var options = self
    options.expiresAt = started.addingTimeInterval(ttl)
    options.tags[S3Store.lifecycleDaysTag] = String(Int((ttl / 86400).rounded(.up)))
    return options
  }
}
