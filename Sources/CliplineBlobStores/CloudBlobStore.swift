import CliplineHTTP
import CliplineRecords
import CliplineSources
import CliplineSystem
import Foundation

/// What S3Store and AzureBlobStore share above their own requests: tags and the expiry read from them, listings
/// followed page by page, and verified downloads. Each store only says how one request is sent.
public protocol CloudBlobStore: BlobStore {
  /// The object's tags (S3 object tagging, Azure blob index tags).
  func tags(of location: BlobLocation) throws -> [String: String]
  func setTags(_ tags: [String: String], of location: BlobLocation) throws
}

extension CloudBlobStore {
  /// The expiry an upload with `--ttl` carries: its tag, else its `Expires` header (S3) or metadata (Azure).
  public func expiry(of location: BlobLocation) throws -> Date? {
    if let tagged = try tags(of: location)[BlobPutOptions.expiryTag], let date = RFC3339.parse(tagged) { return date }
    return try head(location)?.expiresAt
  }
}

/// Follows a listing's continuation (S3 `continuation-token`, Azure `marker`) until the service gives none.
func listPages(_ page: (_ continuation: String?) throws -> (items: [BlobInfo], next: String?)) rethrows -> [BlobInfo] {
  var found: [BlobInfo] = []
  var continuation: String?
  repeat {
    let (items, next) = try page(continuation)
    found += items
    continuation = next.flatMap { $0.isEmpty ? nil : $0 }
  } while continuation != nil
  return found
}

/// A download that appears whole or not at all: one GET, or from `threshold` up parallel ranged GETs into a
/// preallocated file (`If-Match` makes a change mid-download an error, not a mix), then the size and the SHA-256
/// recorded at upload are checked before the rename. The stores differ only in how one GET is sent.
struct VerifiedDownload {
  let rangeSize: Int64
  let threshold: Int64
  let width: Int
  /// `Range` (S3) or `x-ms-range` (Azure).
  let rangeHeader: String

  typealias Send =
    @Sendable (_ headers: [(name: String, value: String)], _ to: @escaping () -> ResponseDestination) throws ->
    Void

  /// `BlobStore.get`: the object's `head`, then its bytes into `path`; a missing object is `missing`.
  func get(
    _ location: BlobLocation, to path: String, head: () throws -> BlobInfo?, missing: () -> Error,
    send: @escaping Send
  ) throws -> BlobInfo {
    do {
      guard let info = try head() else { throw missing() }
      try run(info, to: path, send: send)
      return info
    } catch let error as BlobIntegrityError {
      throw error
    } catch let error as OutputClosed {
      throw error
    } catch {
      throw BlobStoreError("download of", location, error)
    }
  }

  func run(_ info: BlobInfo, to path: String, send: @escaping Send) throws {
    let temporary = try AtomicFile(destination: path)
    defer { temporary.discard() }
    if info.bytes >= threshold && width > 1 {
      let into = temporary.temporaryPath
      try createPreallocated(into, size: info.bytes)
      let count = Int((info.bytes + rangeSize - 1) / rangeSize)
      let errors = ParallelWork.run(count: count, width: width, stopOnFirstError: true) { index in
        let start = Int64(index) * rangeSize
        var headers = [(name: rangeHeader, value: "bytes=\(start)-\(min(info.bytes, start + rangeSize) - 1)")]
        if let etag = info.etag { headers.append(("If-Match", "\"\(etag)\"")) }
        try send(headers) {
          let writer = OffsetWriter(path: into, offset: start)
          return .stream { try writer.write($0) }
        }
      }
      if let failure = ParallelWork.firstFailure(errors) { throw failure }
    } else {
      try send([]) { .file(path: temporary.temporaryPath) }
    }
    let size = try localFileSize(temporary.temporaryPath)
    guard size == info.bytes else {
      throw BlobIntegrityError(location: info.location, reason: "received \(size) bytes, expected \(info.bytes)")
    }
    if let expected = info.sha256 {
      let actual = try FileDigests.of(temporary.temporaryPath, md5: false).sha256.hexString
      guard actual == expected else {
        throw BlobIntegrityError(location: info.location, reason: "SHA-256 \(actual) is not the uploaded \(expected)")
      }
    }
    try temporary.commit()
  }
}
