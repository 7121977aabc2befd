import CliplineAWS
import CliplineHTTP
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

/// Where an upload's bytes come from: a local file (`blob-put`); bytes already in memory with their SHA-256
/// (`chunk --to`), sent as the body's checksum instead of hashing them again; or a body that arrives while it
/// uploads (`kvs-clip` streaming GetClip): `produce` hands each piece to `write`, which sends it on to every
/// destination that is not a server-side copy. `name` stands for the body in messages and picks the content type
/// by its extension.
public enum UploadBody {
  case file(String)
  case memory(name: String, pieces: HTTPBodyPieces, sha256: [UInt8])
  case stream(name: String, produce: (UploadBodyWriter) throws -> Void)

  var file: String? {
    if case .file(let path) = self { return path }
    return nil
  }

  var name: String {
    switch self {
    case .file(let path): return path
    case .memory(let name, _, _), .stream(let name, _): return name
    }
  }
}

/// Where a streamed body's producer puts it: its length first when known (a download's Content-Length, so S3 can
/// take it in one PUT as it arrives), then its bytes.
public final class UploadBodyWriter {
  let streams: [BlobUploadStream]

  init(_ streams: [BlobUploadStream]) { self.streams = streams }

  public func expect(bytes: Int64) throws { for stream in streams { try stream.expect(bytes: bytes) } }

  public func write(_ bytes: UnsafeRawBufferPointer) throws { for stream in streams { try stream.write(bytes) } }
}

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

  public init(stores: BlobStoreSet, destinations: [UploadDestination]) {
    self.stores = stores
    self.destinations = destinations
  }

  /// The same uploads, taking turns only among themselves: what one live stream's windows need, so that one
  /// camera's window never waits for another camera's upload.
  public func independent() -> RecordUploader {
    var copy = self
    copy.largeUploads = OldestFirstSlots(count: 1)
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
  /// file's, or a body streamed in while it uploads.
  /// `order` (the input line) decides which record's large upload goes first when several wait.
  public func upload(_ record: Record, body: UploadBody, stem: String, order: Int = 0) throws -> Record {
    let locations = try destinations.map { try location(for: $0, record: record) }
    var digestField: String?
    var known: FileDigests?
    if let file = body.file {
      let size = try localFileSizeOrMissing(file)
      digestField = knownDigestField(record, stem: stem)
      known = digestField.flatMap { Self.knownSHA256(record, field: $0) }.map {
        FileDigests(sha256: $0, md5: [], bytes: size)
      }
    } else if case .memory(_, let pieces, let sha256) = body {
      known = FileDigests(sha256: sha256, md5: [], bytes: pieces.length)
    }
    // SHA-256 once for every destination that needs it (started by the first that does); MD5 only where a
    // backend needs it. A streamed body is hashed as it arrives.
    let digests = body.file.map { PendingDigests(file: $0) }
    let results = ResultSlots<StoredBlob>(count: destinations.count)
    // Whole seconds, so the tag, the Expires header and the record's field name the same instant.
    let started = Date(timeIntervalSince1970: now().timeIntervalSince1970.rounded(.down))
    let (name, knownDigests) = (body.name, known)
    // What can be sent again when a server-side copy is refused: a file or bytes in memory, not a stream.
    let resendable: ResendableBody?
    switch body {
    case .file(let file): resendable = .file(file)
    case .memory(_, let pieces, let sha256): resendable = .memory(pieces, sha256: sha256)
    case .stream: resendable = nil
    }
    @Sendable func options(_ index: Int) -> BlobPutOptions {
      var options = BlobPutOptions(
        contentType: contentType ?? Self.contentType(of: name), knownDigests: knownDigests, pendingDigests: digests)
      if let ttl = destinations[index].timeToLive {
        options.expiresAt = started.addingTimeInterval(ttl)
        options.tags[S3Store.lifecycleDaysTag] = String(Int((ttl / 86400).rounded(.up)))
      }
      return options
    }
    @Sendable func logUpload(_ index: Int, since began: Date) {
      log?(
        String(
          format: "%@ -> %@: %lld bytes in %.3f s", name, locations[index].description,
          results.values[index]!.bytes, Date().timeIntervalSince(began)))
    }
    @Sendable func put(_ index: Int, _ body: ResendableBody) throws {
      let began = Date()
      let store = try stores.store(for: locations[index])
      switch body {
      case .file(let file):
        results.set(index, try store.put(file: file, to: locations[index], options: options(index)))
      case .memory(let pieces, let sha256):
        results.set(index, try store.put(pieces: pieces, sha256: sha256, to: locations[index], options: options(index)))
      }
      logUpload(index, since: began)
    }
    let sources = try copySources(locations)
    let uploads = sources.indices.filter { sources[$0] == nil }
    switch body {
    case .file(let file):
      @Sendable func uploadAll() -> [Error?] {
        ParallelWork.run(count: uploads.count, width: uploads.count) { try put(uploads[$0], .file(file)) }
      }
      let large = try localFileSizeOrMissing(file) >= largeFileBytes
      let uploadErrors = large ? largeUploads.withSlot(order: order, uploadAll) : uploadAll()
      if let failure = uploadErrors.compactMap({ $0 }).first {
        throw refusedDigest(failure, field: digestField, file: file) ?? failure
      }
    case .memory(_, let pieces, let sha256):
      // Like a large file: one record's uploads at a time, the oldest first; server-side copies overlap the next.
      let uploadErrors = largeUploads.withSlot(order: order) {
        ParallelWork.run(count: uploads.count, width: uploads.count) {
          try put(uploads[$0], .memory(pieces, sha256: sha256))
        }
      }
      if let failure = uploadErrors.compactMap({ $0 }).first { throw failure }
    case .stream(_, let produce):
      // Like a large file: one streamed body at a time, the oldest first; server-side copies overlap the next.
      try largeUploads.withSlot(order: order) {
        let began = Date()
        let streams = try StreamedUploads(
          uploads.map { index in
            { try stores.store(for: locations[index]).openUpload(to: locations[index], options: options(index)) }
          })
        for (slot, stored) in try streams.run(produce).enumerated() {
          results.set(uploads[slot], stored)
          logUpload(uploads[slot], since: began)
        }
      }
    }
    let copies = sources.indices.filter { sources[$0] != nil }
    let copyErrors = ParallelWork.run(count: copies.count, width: copies.count) { slot in
      let index = copies[slot]
      let source = results.values[sources[index]!]!
      let store = try stores.store(for: locations[index]) as! ServerSideCopying
      let began = Date()
      do {
        results.set(index, try store.copy(source, to: locations[index], options: options(index)))
      } catch  where copyMode == .auto && Self.uploadInstead(after: error) {
        // A streamed body is gone by now: only a file or bytes in memory can be uploaded again.
        guard let resendable else { throw error }
        log?("\(locations[index]): the server-side copy was refused (\(describe(error))); uploading instead")
        return try put(index, resendable)
      }
      log?(
        String(
          format: "%@ -> %@: server-side copy in %.3f s", source.location.description, locations[index].description,
          Date().timeIntervalSince(began)))
    }
    if let failure = copyErrors.compactMap({ $0 }).first { throw failure }

    var output = record
    for (index, destination) in destinations.enumerated() {
      let stored = results.values[index]!
      output[destination.field] = .string(stored.location.description)
      output[destination.field + "_etag"] = .string(stored.etag)
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
    output[stem + "_bytes"] = .integer(first.bytes)
    output[stem + "_sha256"] = .string(first.sha256)
    if removeSource, let file = body.file { unlink(file) }
    return output
  }

  /// For each destination, the earlier destination it is a server-side copy of, or nil to upload it.
  func copySources(_ locations: [BlobLocation]) throws -> [Int?] {
    guard copyMode != .upload else { return locations.map { _ in nil } }
    var sources: [Int?] = []
    for (index, location) in locations.enumerated() {
      let store = try stores.store(for: location)
      let source = (store as? ServerSideCopying).flatMap { copier in
        (0..<index).first { sources[$0] == nil && copier.canCopy(from: locations[$0], to: location) }
      }
      sources.append(source)
    }
    return sources
  }

  /// In auto mode, a copy the service will not make (not a throttle, an outage or a permission problem, which
  /// an upload would meet too) is made an upload instead.
  static func uploadInstead(after error: Error) -> Bool {
    if error is CopyTooLarge { return true }
    switch ExitStatus.of(error) {
    case .temporaryFailure, .unavailable, .permissionDenied, .configuration: return false
    default: return !ShutdownSignal.shared.isRequested
    }
  }

  /// The field that holds the file's SHA-256 as 64 hex digits, if one does.
  func knownDigestField(_ record: Record, stem: String) -> String? {
    guard !knownDigestDisabled else { return nil }
    let candidates = sha256Field.map { [$0] } ?? [stem + "_sha256", "chunk_hash"]
    return candidates.first { Self.knownSHA256(record, field: $0) != nil }
  }

  static func knownSHA256(_ record: Record, field: String) -> [UInt8]? {
    guard let text = record.value(at: field)?.stringValue, text.utf8.count == 64 else { return nil }
    return [UInt8](hex: text.lowercased())
  }

  /// A known digest the store or the server found wrong, as a sentence about the record's field.
  func refusedDigest(_ error: Error, field sha256Field: String?, file: String) -> Error? {
    guard let sha256Field, ExitStatus.of(error) == .dataError else { return nil }
    let underlying = (error as? BlobStoreError)?.underlying ?? error
    let refused =
      underlying is BlobIntegrityError
      || ["BadDigest", "XAmzContentSHA256Mismatch", "InvalidDigest"].contains((underlying as? AWSServiceError)?.code)
    guard refused else { return nil }
    return InputError.invalidField(
      sha256Field, reason: "is not the SHA-256 of \(file), so it was not stored (\(describe(error)))")
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

/// An upload's body that can be sent again.
enum ResendableBody: Sendable {
  case file(String)
  case memory(HTTPBodyPieces, sha256: [UInt8])
}

/// The uploads one streamed body feeds: opened together, written in turn, finished in parallel; any failure (of the
/// producer or of one upload) aborts every one that is not finished, so no object and no parts are left.
struct StreamedUploads {
  let streams: [BlobUploadStream]

  init(_ openers: [() throws -> BlobUploadStream]) throws {
    var opened: [BlobUploadStream] = []
    do {
      for open in openers { opened.append(try open()) }
    } catch {
      for stream in opened { stream.abort() }
      throw error
    }
    streams = opened
  }

  func run(_ produce: (UploadBodyWriter) throws -> Void) throws -> [StoredBlob] {
    do {
      try produce(UploadBodyWriter(streams))
    } catch {
      for stream in streams { stream.abort() }
      throw error
    }
    let results = ResultSlots<StoredBlob>(count: streams.count)
    let errors = ParallelWork.run(count: streams.count, width: streams.count) {
      results.set($0, try streams[$0].finish())
    }
    if let failure = errors.compactMap({ $0 }).first {
      for stream in streams { stream.abort() }
      throw failure
    }
    return results.values.map { $0! }
  }
}

/// Results filled in by parallel jobs, one slot each.
final class ResultSlots<Value: Sendable>: @unchecked Sendable {  // `lock` guards `stored`
  private let lock = NSLock()
  private var stored: [Value?]

  init(count: Int) { stored = Array(repeating: nil, count: count) }

  func set(_ index: Int, _ value: Value) { lock.withLock { stored[index] = value } }
  var values: [Value?] { lock.withLock { stored } }
}
