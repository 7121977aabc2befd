import CliplineCrypto
import CliplineHTTP
import CliplineSystem
import Foundation

/// A remote object read by byte ranges, pinned to one version of it (the storage's `If-Match`).
public protocol RangedReading: Sendable {
  /// One ranged GET, retried as the store retries; `destination` is asked again for every attempt. Its errors name
  /// the object; a `DownloadCancelled` thrown by the destination comes back as itself.
  func read(_ range: Range<Int64>, to destination: @escaping () -> ResponseDestination) throws
}

/// What a windowed download needs to know of its object before the first byte.
public struct RangedObject: Sendable {
  /// The object's URL, for messages (no secrets).
  public let name: String
  public let size: Int64
  /// The SHA-256 recorded at upload, as 64 hex digits, when the object carries one: every byte is checked against it.
  public let sha256: String?

  public init(name: String, size: Int64, sha256: String?) {
    self.name = name
    self.size = size
    self.sha256 = sha256
  }
}

/// An object read through a `PieceWindow`: up to 8 fetchers (fewer when the store allows fewer), each taking the
/// piece the window needs next with a ranged read pinned to one version of the object, and, when the object carries
/// its SHA-256, a second reader hashing every byte in order so the end of the download checks it at no extra pass.
public final class WindowedDownload: RunningDownload, @unchecked Sendable {
  let window: PieceWindow
  public var source: ArrivingBytes { window }
  private let name: String
  private let expectedSHA256: String?
  private let threads: ThreadPool
  /// Set once by the digest job before `digestDone` is signalled.
  private var digest: Result<String, Error> = .failure(DownloadCancelled())
  private let digestDone = DispatchSemaphore(value: 0)

  private static let digestReader = 1
  /// Pieces in flight ahead of the reader (and fetchers). 4 × 2 MiB is four times a 50 MB/s, 40 ms link's
  /// bandwidth-delay product, yet over such a link the cut read 275 MB at ~40 MB/s: each request adds the store's
  /// latency, and the reader's own pauses (a chunk's end) stop the fetchers once they are 4 pieces ahead. 8 kept
  /// the link near full (about 6.3 s against 6.7, chunk alone, loaded machine); 12 gained a little more for twice
  /// the memory (the window is `lookahead + 2` pieces per reader).
  private static let largestLookahead = 8

  /// Starts reading `object` through `reader`: pieces of `pieceSize` bytes, at most `concurrency` (and 8) at once.
  public init(
    _ object: RangedObject, reader: RangedReading, pieceSize: Int64, concurrency: Int,
    report: @escaping @Sendable (String) -> Void
  ) {
    name = object.name
    expectedSHA256 = object.sha256
    let fetchers = max(1, min(concurrency, Self.largestLookahead))
    window = PieceWindow(
      name: object.name, size: object.size, pieceSize: pieceSize, lookahead: fetchers,
      readers: object.sha256 == nil ? 1 : 2,
      onFarRead: { offset in
        report("read ahead to byte \(offset) of \(object.name) (an index at the end?): fetching it next")
      })
    threads = ThreadPool(width: fetchers + 1)
    for _ in 0..<fetchers {
      threads.submit { [window] in Self.fetchPieces(through: reader, into: window) }
    }
    if expectedSHA256 != nil {
      threads.submit { [self] in
        digest = Result { try Self.hash(window) }
        digestDone.signal()
      }
    }
  }

  /// One fetcher: the pieces the window asks for, until it is closed or fails.
  private static func fetchPieces(through reader: RangedReading, into window: PieceWindow) {
    while let fetch = window.nextFetch() {
      do {
        try reader.read(fetch.range) {
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
      } catch {
        window.fail(error)
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

  public func cancel() { window.close() }

  /// The reader is done; with a recorded SHA-256, waits for the digest of every byte and compares.
  public func wait() throws {
    window.readerDone(0)
    if let failure = window.error, !(failure is DownloadCancelled) { throw failure }
    guard let expected = expectedSHA256 else { return }
    digestDone.wait()
    digestDone.signal()
    let actual = try digest.get()
    guard actual == expected else {
      throw SourceIntegrityError(name: name, reason: "SHA-256 \(actual) is not the uploaded \(expected)")
    }
  }

  public func discard() {
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

/// A downloaded source whose bytes are not the ones recorded at upload: never cut (65). Worded as the blob stores'
/// own integrity failure.
public struct SourceIntegrityError: ExitStatusProviding, CustomStringConvertible {
  public let name: String
  public let reason: String
  public var exitStatus: ExitStatus { .dataError }
  public var description: String { "\(name): integrity check failed: \(reason)" }
}
