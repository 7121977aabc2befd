import CliplineBlobStores
import CliplineHTTP
import CliplineMedia
import CliplineRecords
import CliplineSystem
import Foundation

/// `chunk --to`: each chunk goes from memory into its uploads on threads of their own while the next one is cut,
/// and its record is written once it is stored, in chunk order. The uploads themselves go one at a time, the
/// earliest chunk first (RecordUploader's slot for large bodies), and a chunk's server-side copy overlaps the next
/// chunk's upload, as `blob-put` does with files. At most `inFlight` chunks are queued or uploading, so at most
/// `inFlight + 1` are in memory. The chunk's SHA-256, taken when it was cut (`chunk_hash`), is sent as the body's
/// checksum, which S3 checks against the bytes it received; the body goes from the chunk's memory as it lies (head,
/// moved index, media), in one plain PutObject (`S3Store.put(pieces:)`). Unlike a body streamed from a download,
/// it can be sent again: the store retries a 5xx, a timeout or an unreachable server with backoff (`--attempts`,
/// cut short by SIGTERM), as it does for blob-put's files.
final class ChunkUploads: @unchecked Sendable {  // `lock` guards `stored` and `sequence`
  static let inFlight = 2
  private let uploader: RecordUploader
  private let writer: RecordWriter
  private let queue = DispatchQueue(label: "chunk uploads", attributes: .concurrent)
  private let group = DispatchGroup()
  private let slots = DispatchSemaphore(value: ChunkUploads.inFlight)
  private let lock = NSLock()
  private let failure = FirstFailure()
  private var sequence = 0
  private var stored = InSequence<Record>()

  init(uploader: RecordUploader, writer: RecordWriter) {
    self.uploader = uploader
    self.writer = writer
  }

  /// Queues `chunk`'s upload; throws the failure of an earlier one, so the cut stops there.
  func submit(_ record: Record, _ chunk: SegmentInMemory) throws {
    if let failed = failure.error { throw failed }
    slots.wait()
    if let failed = failure.error {
      slots.signal()
      throw failed
    }
    let number = lock.withLock {
      defer { sequence += 1 }
      return sequence
    }
    queue.async(group: group) { [self] in
      defer {
        chunk.release()
        slots.signal()
      }
      guard failure.error == nil else { return }
      do {
        let name = String(format: "chunk_%03d.mp4", record["chunk_id"]?.integerValue ?? 0)
        let stored = try chunk.withPieces { pieces in
          try uploader.upload(
            record, body: .memory(name: name, pieces: HTTPBodyPieces(pieces), sha256: chunk.sha256), stem: "chunk",
            order: number)
        }
        try written(stored, number: number)
      } catch {
        failure.record(error)
      }
    }
  }

  /// Writes the records that are next in order.
  private func written(_ record: Record, number: Int) throws {
    try lock.withLock {
      for next in stored.finish(number, record) { try writer.write(next) }
    }
  }

  /// Waits for every queued upload; throws the first failure (and forgets it: the next request starts clean).
  func finish() throws {
    group.wait()
    lock.withLock { stored.skip(to: sequence) }
    if let failed = failure.take() { throw failed }
  }
}
