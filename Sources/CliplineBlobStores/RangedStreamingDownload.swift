import CliplineAWS
import CliplineHTTP
import CliplineSystem
import Foundation

/// A store that reads an object by byte ranges, pinned to one version of it (`If-Match`).
protocol RangedBlobReading: BlobStore {
  /// The object's size and etag; throws the store's own not-found error when there is none.
  func existingInfo(_ location: BlobLocation) throws -> BlobInfo
  /// One ranged GET, retried as the store retries; `destination` is asked again for every attempt.
  func getRange(
    _ location: BlobLocation, _ range: Range<Int64>, etag: String?, to destination: @escaping () -> ResponseDestination
  ) throws
  /// Piece size and parallel requests for a streaming download.
  var streamingPieceSize: Int64 { get }
  var streamingConcurrency: Int { get }
}

/// Pieces small enough that the start of the file completes soon, though several download at once.
private let largestStreamingPiece: Int64 = 4 << 20

extension S3Store: RangedBlobReading {
  func existingInfo(_ location: BlobLocation) throws -> BlobInfo {
    guard let info = try head(location) else {
      throw AWSServiceError(code: "NoSuchKey", message: "no such object", status: 404, resource: location.description)
    }
    return info
  }

  func getRange(
    _ location: BlobLocation, _ range: Range<Int64>, etag: String?, to destination: @escaping () -> ResponseDestination
  ) throws {
    var headers: [(name: String, value: String)] = [("Range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")]
    if let etag { headers.append(("If-Match", "\"\(etag)\"")) }
    _ = try send("GET", try target(location), headers: headers, to: destination)
  }

  var streamingPieceSize: Int64 { min(configuration.partSize, largestStreamingPiece) }
  var streamingConcurrency: Int { configuration.concurrency }
}

extension AzureBlobStore: RangedBlobReading {
  func existingInfo(_ location: BlobLocation) throws -> BlobInfo {
    guard let info = try head(location) else {
      throw AzureServiceError(
        status: 404, code: "BlobNotFound", message: "no such blob", resource: try target(location).description)
    }
    return info
  }

  func getRange(
    _ location: BlobLocation, _ range: Range<Int64>, etag: String?, to destination: @escaping () -> ResponseDestination
  ) throws {
    var headers: [(name: String, value: String)] = [("x-ms-range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")]
    if let etag { headers.append(("If-Match", "\"\(etag)\"")) }
    _ = try send("GET", try target(location), headers: headers, to: destination)
  }

  var streamingPieceSize: Int64 { min(configuration.blockSize, largestStreamingPiece) }
  var streamingConcurrency: Int { configuration.concurrency }
}

extension BlobStoreDownloader: StreamingBlobDownloading {
  /// Parallel ranged GETs into a file of the object's size, in file order, a piece a reader waits for first.
  public func startDownload(
    _ location: BlobLocation, to path: String, report: @escaping @Sendable (String) -> Void
  ) throws -> RunningDownload {
    guard let store = try stores.store(for: location) as? RangedBlobReading else {
      throw SourceFetcher.UnsupportedSource(location: location)
    }
    let info: BlobInfo
    do {
      info = try store.existingInfo(location)
      try createPreallocated(path, size: info.bytes)
    } catch {
      unlink(path)
      throw BlobStoreError("download of", location, error)
    }
    let download = StreamingDownload(path: path)
    download.file.setSize(info.bytes)
    let schedule = RangeSchedule(size: info.bytes, pieceSize: store.streamingPieceSize)
    download.file.onWantedOffset { offset in
      guard let piece = schedule.want(offset) else { return }
      report(
        "read ahead to byte \(offset) of \(location) (an index at the end?): fetching bytes \(piece.lowerBound)–\(piece.upperBound - 1) next"
      )
    }
    download.start { download in
      let digest = info.sha256 == nil ? nil : ArrivalDigest(of: download)
      let errors = ParallelWork.run(count: schedule.count, width: store.streamingConcurrency, stopOnFirstError: true) {
        _ in
        guard let piece = schedule.next() else { return }
        try download.checkCancelled()
        try store.getRange(location, piece, etag: info.etag) { download.destination(at: piece.lowerBound) }
      }
      do {
        if let failure = errors.first(where: { $0 != nil && !($0 is ParallelWork.Skipped) }) { throw failure! }
        if let expected = info.sha256, let actual = try digest?.wait().hexString, actual != expected {
          throw BlobIntegrityError(location: location, reason: "SHA-256 \(actual) is not the uploaded \(expected)")
        }
      } catch let error as DownloadCancelled {
        throw error
      } catch let error as BlobIntegrityError {
        throw error
      } catch {
        throw BlobStoreError("download of", location, error)
      }
    }
    return download
  }
}
