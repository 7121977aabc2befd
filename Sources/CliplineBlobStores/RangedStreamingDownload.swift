import CliplineAWS
import CliplineHTTP
import CliplineHashing
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
  /// Parallel ranged GETs into a bounded window of memory (`PieceWindow`), a few pieces ahead of the reader;
  /// `path` is not used: nothing lands on disk.
  public func startDownload(
    _ location: BlobLocation, to path: String, report: @escaping @Sendable (String) -> Void
  ) throws -> RunningDownload {
    guard let store = try stores.store(for: location) as? RangedBlobReading else {
      throw SourceFetcher.UnsupportedSource(location: location)
    }
    let info: BlobInfo
    do {
      info = try store.existingInfo(location)
    } catch {
      throw BlobStoreError("download of", location, error)
    }
    return WindowedDownload(store: store, location: location, info: info, report: report)
  }
}

/// An object read through a `PieceWindow`: up to 4 fetchers (fewer when the store allows fewer), each taking the
/// piece the window needs next with a ranged GET pinned to the object's etag, and, when the object carries its SHA-256, a second reader
/// hashing every byte in order so the end of the download checks it at no extra pass.
final class WindowedDownload: RunningDownload, @unchecked Sendable {
  let window: PieceWindow
  var source: ArrivingBytes { window }
  private let location: BlobLocation
  private let expectedSHA256: String?
  private let threads: ThreadPool
  /// Set once by the digest job before `digestDone` is signalled.
  private var digest: Result<String, Error> = .failure(DownloadCancelled())
  private let digestDone = DispatchSemaphore(value: 0)

  private static let digestReader = 1
  /// Pieces in flight ahead of the reader (and fetchers): 4 × 4 MiB covers a 50 MB/s link with 40 ms round trips
  /// several times over; more only holds memory (the window is `lookahead + 2` pieces per reader).
  private static let largestLookahead = 4

  init(store: RangedBlobReading, location: BlobLocation, info: BlobInfo, report: @escaping @Sendable (String) -> Void) {
    self.location = location
    expectedSHA256 = info.sha256
    let fetchers = max(1, min(store.streamingConcurrency, Self.largestLookahead))
    window = PieceWindow(
      name: location.description, size: info.bytes, pieceSize: store.streamingPieceSize, lookahead: fetchers,
      readers: info.sha256 == nil ? 1 : 2,
      onFarRead: { offset in
        report("read ahead to byte \(offset) of \(location) (an index at the end?): fetching it next")
      })
    threads = ThreadPool(width: fetchers + 1)
    for _ in 0..<fetchers {
      threads.submit { [window, etag = info.etag] in
        Self.fetchPieces(of: location, from: store, etag: etag, into: window)
      }
    }
    if expectedSHA256 != nil {
      threads.submit { [self] in
        digest = Result { try Self.hash(window) }
        digestDone.signal()
      }
    }
  }

  /// One fetcher: the pieces the window asks for, until it is closed or fails.
  private static func fetchPieces(
    of location: BlobLocation, from store: RangedBlobReading, etag: String?, into window: PieceWindow
  ) {
    while let fetch = window.nextFetch() {
      do {
        try store.getRange(location, fetch.range, etag: etag) {
          var written = 0
          return .successfulStream(
            ResponseStream(
              onResponse: { status, _ in
                guard status == 206 else { throw RangeNotHonoured(status: status) }
              },
              consume: { bytes in
                try window.write(bytes, at: written, to: fetch)
                written += bytes.count
              }))
        }
        try window.finished(fetch)
      } catch let error as DownloadCancelled {
        window.fail(error)
      } catch {
        window.fail(BlobStoreError("download of", location, error))
      }
    }
  }

  private static func hash(_ window: PieceWindow) throws -> String {
    let digest = try Digest(.sha256)
    let size = 1 << 20
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    defer { buffer.deallocate() }
    var offset: Int64 = 0
    while true {
      let count = try window.read(at: offset, into: buffer, count: size, reader: digestReader)
      guard count > 0 else { return digest.finish().hexString }
      digest.update(UnsafeRawBufferPointer(start: buffer, count: count))
      offset += Int64(count)
    }
  }

  func cancel() { window.close() }

  /// The reader is done; with a recorded SHA-256, waits for the digest of every byte and compares.
  func wait() throws {
    window.readerDone(0)
    if let failure = window.error, !(failure is DownloadCancelled) { throw failure }
    guard let expected = expectedSHA256 else { return }
    digestDone.wait()
    digestDone.signal()
    let actual = try digest.get()
    guard actual == expected else {
      throw BlobIntegrityError(location: location, reason: "SHA-256 \(actual) is not the uploaded \(expected)")
    }
  }

  func discard() {
    window.close()
    threads.waitUntilIdle()
  }
}

/// A ranged GET answered with something other than 206 Partial Content (a whole object, or an error page).
struct RangeNotHonoured: Error, CustomStringConvertible, ExitStatusProviding {
  let status: Int
  var description: String { "a ranged GET was answered with status \(status), not 206" }
  var exitStatus: ExitStatus { .dataError }
}
