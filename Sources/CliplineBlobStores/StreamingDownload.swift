import CliplineHTTP
import CliplineHashing
import CliplineSystem
import Foundation

/// A downloader whose file can be read while it arrives: bytes are published through a `GrowingFile` as they
/// land, and a reader waiting for an offset far ahead makes the download fetch that offset next when it can.
public protocol StreamingBlobDownloading {
  /// Starts downloading `location` to `path` on background threads; throws at once when the source is missing or
  /// unreachable. `report` receives sentences for `--verbose` (how the download coped with the reader).
  func startDownload(_ location: BlobLocation, to path: String, report: @escaping @Sendable (String) -> Void) throws
    -> RunningDownload
}

/// The thread a download runs on, its outcome, and its cancellation. `condition` guards `ended`, `outcome` and
/// `cancelled`.
final class StreamingDownload: RunningDownload, @unchecked Sendable {
  let file: GrowingFile
  private let condition = NSCondition()
  private var ended = false
  private var outcome: Error?
  private var cancelled = false
  /// Taken by each write of a range into the file (OffsetWriter).
  private let writes = NSLock()

  init(path: String) { file = GrowingFile(path: path) }

  /// The download's own threads: the transfer, and one helper request beside it (a tail fetched ahead).
  private let threads = ThreadPool(width: 2)

  /// Runs `body` on a thread of the download; the file is finished when it returns, failed when it throws.
  func start(_ body: @escaping @Sendable (StreamingDownload) throws -> Void) {
    threads.submit { [self] in
      var failure: Error?
      do { try body(self) } catch { failure = error }
      if let failure { file.fail(failure) } else { file.finish() }
      condition.withLock {
        outcome = failure
        ended = true
        condition.broadcast()
      }
    }
  }

  /// Runs a helper request beside the transfer; its failure is its own business.
  func alongside(_ job: @escaping @Sendable () -> Void) { threads.submit(job) }

  func cancel() {
    condition.withLock { cancelled = true }
    file.fail(DownloadCancelled())
  }

  /// Throws once the reader gave up on the download (from a body callback, this aborts the transfer).
  func checkCancelled() throws {
    if condition.withLock({ cancelled }) { throw DownloadCancelled() }
  }

  func wait() throws {
    let failure = condition.withLock { () -> Error? in
      while !ended { condition.wait() }
      return outcome
    }
    if let failure, !(failure is DownloadCancelled) { throw failure }
  }

  /// A body destination that writes at `offset` onwards and publishes each piece as it lands (in pieces of
  /// 256 KiB, and the rest when the response ends).
  func destination(
    at offset: Int64, onResponse: @escaping (Int, [(name: String, value: String)]) throws -> Void = { _, _ in }
  )
    -> ResponseDestination
  {
    let writer = OffsetWriter(path: file.path, offset: offset, gather: 256 << 10, lock: writes)
    return .successfulStream(
      ResponseStream(
        onResponse: onResponse,
        consume: { [self] bytes in
          try checkCancelled()
          if let written = try writer.write(bytes) { file.markComplete(written) }
        },
        finish: { [self] in
          if let written = try writer.flush() { file.markComplete(written) }
        }))
  }
}

/// Which pieces of a ranged download are still to fetch: in file order, so the start completes first, except for
/// pieces a reader is waiting for, which go next. `lock` guards `taken`, `cursor` and `urgent`.
final class RangeSchedule: @unchecked Sendable {
  let size: Int64
  let pieceSize: Int64
  let count: Int
  private let lock = NSLock()
  private var taken: [Bool]
  private var cursor = 0
  private var urgent: [Int] = []

  init(size: Int64, pieceSize: Int64) {
    self.size = size
    self.pieceSize = max(1, pieceSize)
    count = Int((size + self.pieceSize - 1) / self.pieceSize)
    taken = Array(repeating: false, count: count)
  }

  func range(_ index: Int) -> Range<Int64> { Int64(index) * pieceSize..<min(size, Int64(index + 1) * pieceSize) }

  /// The next piece to fetch, or nil when every piece is taken.
  func next() -> Range<Int64>? {
    lock.withLock {
      while let index = urgent.first {
        urgent.removeFirst()
        if !taken[index] {
          taken[index] = true
          return range(index)
        }
      }
      while cursor < count, taken[cursor] { cursor += 1 }
      guard cursor < count else { return nil }
      taken[cursor] = true
      return range(cursor)
    }
  }

  /// Moves the piece holding `offset` to the front; returns it when it was not taken yet.
  func want(_ offset: Int64) -> Range<Int64>? {
    guard offset >= 0, offset < size else { return nil }
    let index = Int(offset / pieceSize)
    return lock.withLock {
      guard !taken[index], !urgent.contains(index) else { return nil }
      urgent.insert(index, at: 0)
      return range(index)
    }
  }
}

/// The SHA-256 of a download, computed in file order beside it as its bytes arrive, so checking it at the end
/// costs no second pass. `done` orders the write of `result` before its read.
final class ArrivalDigest: @unchecked Sendable {
  private let done = DispatchSemaphore(value: 0)
  private var result: Result<[UInt8], Error> = .failure(DownloadCancelled())

  init(of download: StreamingDownload) {
    download.alongside { [self] in
      result = Result { try Self.hash(download.file) }
      done.signal()
    }
  }

  /// The digest once every byte has arrived; the download's error if it stopped first.
  func wait() throws -> [UInt8] {
    done.wait()
    done.signal()
    return try result.get()
  }

  private static func hash(_ file: GrowingFile) throws -> [UInt8] {
    guard let handle = FileHandle(forReadingAtPath: file.path) else { throw MissingLocalFile(path: file.path) }
    defer { try? handle.close() }
    let digest = try Digest(.sha256)
    var offset: Int64 = 0
    while true {
      let count = try file.waitForBytes(at: offset, count: 1 << 20)
      guard count > 0 else { return digest.finish() }
      guard let data = try handle.read(upToCount: count), data.count == count else {
        throw BlobIntegrityError(location: .file(path: file.path), reason: "the file is shorter than what arrived")
      }
      digest.update(data)
      offset += Int64(count)
    }
  }
}
