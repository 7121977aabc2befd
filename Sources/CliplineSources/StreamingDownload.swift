import CliplineHTTP
import CliplineSystem
import Foundation

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

  var source: ArrivingBytes { file }

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

  func discard() {
    cancel()
    _ = try? wait()
    unlink(file.path)
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
