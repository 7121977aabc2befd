import CliplineRecords
import CliplineSystem
import Foundation

/// Records whose bodies are held in memory, each uploaded on a thread of its own while the producer makes the next
/// (`chunk --to` cutting, a live follow receiving), and handed on once stored, in the order they were submitted.
/// At most `inFlight` bodies are queued or uploading, so at most `inFlight + 1` are held with the one being made.
/// The uploads themselves go one at a time, the earliest first (RecordUploader's slot for large bodies), and a
/// body's server-side copies overlap the next upload, as `blob-put` does with files. A body's SHA-256, taken when it
/// was made, is sent as its checksum, which the store checks against the bytes it received; like a file, it can be
/// sent again, so the store retries a 5xx, a timeout or an unreachable server (`--attempts`, cut short by SIGTERM).
public final class InOrderUploads: Sendable {
  private let uploader: RecordUploader
  private let output: @Sendable (Record) throws -> Void
  private let threads: ThreadPool
  private let state = Ordering()

  /// - Parameter output: receives each stored record, in submission order, from an upload's thread.
  public init(uploader: RecordUploader, inFlight: Int = 2, output: @escaping @Sendable (Record) throws -> Void) {
    self.uploader = uploader
    self.output = output
    threads = ThreadPool(width: inFlight)
  }

  /// Runs `produce`, which submits bodies, then waits for every upload; throws the first failure (the producer's, or
  /// an upload's), after the uploads already queued have finished or failed. The next run starts clean.
  public func run(_ produce: () throws -> Void) throws {
    do {
      try produce()
    } catch {
      try? finish()
      throw error
    }
    try finish()
  }

  /// Queues the upload of `body` (named `name`, which picks its content type; `stem` names its `STEM_bytes` and
  /// `STEM_sha256`); waits while `inFlight` are under way. Throws the failure of an earlier upload, so the producer
  /// stops there. The body is released once its upload ends, whatever the outcome.
  public func submit(_ record: Record, body: HeldBytes, name: String, stem: String) throws {
    if let failed = state.failure.error {
      body.release()
      throw failed
    }
    let number = state.nextNumber()
    threads.submit { [uploader, output, state] in
      defer { body.release() }
      guard state.failure.error == nil else { return }
      do {
        let stored = try uploader.upload(record, body: .memory(name: name, bytes: body), stem: stem, order: number)
        try state.finish(number, stored, output: output)
      } catch {
        state.failure.record(error)
      }
    }
  }

  /// The uploads of a body starting to be written to `path` (see `RecordUploader.startUploads`); nil when its
  /// destinations are not known yet, or an earlier upload failed (the producer stops at its next submit).
  public func start(_ record: Record, writingTo path: String, name: String) throws -> GrowingUpload? {
    guard state.failure.error == nil else { return nil }
    return try uploader.startUploads(record, writingTo: path, name: name)
  }

  /// Queues the rest of the upload of a body written to a file (`started`, from `start`, when it began); as
  /// `submit(_:body:name:stem:)`. The file is removed once its upload ends, whatever the outcome.
  public func submit(_ record: Record, written body: WrittenBody, started: GrowingUpload?, name: String, stem: String)
    throws
  {
    let growing = started as? GrowingUploads
    if let failed = state.failure.error {
      growing?.abort()
      unlink(body.path)
      throw failed
    }
    let number = state.nextNumber()
    threads.submit { [uploader, output, state] in
      defer { unlink(body.path) }
      guard state.failure.error == nil else {
        growing?.abort()
        return
      }
      do {
        let stored = try uploader.upload(
          record, body: .written(name: name, body: body, started: growing), stem: stem, order: number)
        try state.finish(number, stored, output: output)
      } catch {
        growing?.abort()
        state.failure.record(error)
      }
    }
  }

  private func finish() throws {
    threads.waitUntilIdle()
    state.restart()
    if let failed = state.failure.take() { throw failed }
  }

  /// The submission numbers and the records stored ahead of their turn. `lock` guards `sequence` and `stored`.
  private final class Ordering: @unchecked Sendable {
    let failure = FirstFailure()
    private let lock = NSLock()
    private var sequence = 0
    private var stored = InSequence<Record>()

    func nextNumber() -> Int {
      lock.withLock {
        defer { sequence += 1 }
        return sequence
      }
    }

    /// Hands on the records that are next in order (under the lock, so they leave in order).
    func finish(_ number: Int, _ record: Record, output: (Record) throws -> Void) throws {
      try lock.withLock {
        for next in stored.finish(number, record) { try output(next) }
      }
    }

    /// Numbers that never finished (a failed run) are forgotten: the next run starts at the next number.
    func restart() { lock.withLock { stored.skip(to: sequence) } }
  }
}
