import CliplineAWS
import CliplineHTTP
import CliplineSources
import CliplineSystem
import Foundation

/// A blob store as a `SourceFetcher` downloader: `chunk` reads `s3://` and `az://` sources through it, whole into
/// a file, or through a bounded window of memory while it cuts (`WindowedDownload`).
public struct BlobStoreDownloader: SourceDownloading {
  public let stores: BlobStoreSet

  public init(stores: BlobStoreSet) { self.stores = stores }

  public func download(_ url: String, to path: String) throws {
    let location = try BlobLocation(parsing: url)
    _ = try stores.store(for: location).get(location, to: path)
  }

  /// Parallel ranged GETs into a bounded window of memory, a few pieces ahead of the reader; `path` is not used:
  /// nothing lands on disk.
  public func startStreamingDownload(
    _ url: String, to path: String, report: @escaping @Sendable (String) -> Void
  ) throws -> RunningDownload? {
    let location = try BlobLocation(parsing: url)
    guard let store = try stores.store(for: location) as? RangedBlobReading else { return nil }
    let info: BlobInfo
    do {
      info = try store.existingInfo(location)
    } catch {
      throw BlobStoreError("download of", location, error)
    }
    return WindowedDownload(
      RangedObject(name: location.description, size: info.bytes, sha256: info.sha256),
      reader: PinnedObject(store: store, location: location, etag: info.etag), pieceSize: store.streamingPieceSize,
      concurrency: store.streamingConcurrency, report: report)
  }
}

extension SourceFetcher {
  /// Every scheme clipline reads: http(s), s3:// (SigV4, the AWS credential chain, `AWS_ENDPOINT_URL_S3`) and
  /// az:// (`AZURE_STORAGE_CONNECTION_STRING`, account key or SAS).
  public static func standard(stores: BlobStoreSet = .standard()) -> SourceFetcher {
    var fetcher = SourceFetcher()
    let downloader = BlobStoreDownloader(stores: stores)
    fetcher.register(downloader, for: .s3)
    fetcher.register(downloader, for: .azure)
    return fetcher
  }
}

/// One version of an object (its etag), read by ranges; failures name the object.
struct PinnedObject: RangedReading {
  let store: RangedBlobReading
  let location: BlobLocation
  let etag: String?

  func read(_ range: Range<Int64>, to destination: @escaping () -> ResponseDestination) throws {
    do {
      try store.getRange(location, range, etag: etag, to: destination)
    } catch let error as DownloadCancelled {
      throw error
    } catch {
      throw BlobStoreError("download of", location, error)
    }
  }
}

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

/// Pieces small enough that the start of the file completes soon, though several download at once. The window holds
/// `lookahead + 2` of them per reader, every byte touched: 11 × 2 MiB with one reader, 21 with a SHA-256 to check
/// (8 fetchers; 4 MiB pieces with 4 fetchers held 28 and 52 MiB, half of `chunk --to`'s anonymous memory).
private let largestStreamingPiece: Int64 = 2 << 20

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
