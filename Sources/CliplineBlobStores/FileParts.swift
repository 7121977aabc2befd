import CliplineCrypto
import CliplineSystem
import Foundation

/// A store that takes an object in parts sent in any order (S3 multipart upload, Azure blocks).
protocol PartSending: BlobStore {
  func partBackend(to location: BlobLocation, options: BlobPutOptions) throws -> PartedUploadBackend
  /// The size of every part but the first and the last.
  var partSize: Int64 { get }
  var partConcurrency: Int { get }
  /// The checksum the service checks each part against.
  var partChecksum: Digest.Algorithm { get }
}

extension S3Store: PartSending {
  func partBackend(to location: BlobLocation, options: BlobPutOptions) throws -> PartedUploadBackend {
    S3StreamedParts(store: self, target: try target(location), options: options)
  }
  var partSize: Int64 { max(configuration.partSize, 5 << 20) }
  var partConcurrency: Int { configuration.concurrency }
  var partChecksum: Digest.Algorithm { S3Store.partChecksum }
}

extension AzureBlobStore: PartSending {
  func partBackend(to location: BlobLocation, options: BlobPutOptions) throws -> PartedUploadBackend {
    AzureStreamedBlocks(store: self, target: try target(location), options: options)
  }
  var partSize: Int64 { configuration.blockSize }
  var partConcurrency: Int { configuration.concurrency }
  var partChecksum: Digest.Algorithm { .md5 }
}

/// One destination's upload of a body written to a file front to back (`WrittenBody`). The file's first `head` bytes
/// (5 MiB, S3's smallest part) may be rewritten until the file is finished; part `k` ≥ 1 is the file's next `partSize`
/// bytes after `head + (k − 1) × partSize` and goes, from the file, as soon as the file has passed it, the writer
/// never waiting for it (the file holds what is queued). Part 0 (the body's prefix, known only at the end, and the
/// file's bytes below `head`) and the tail go when the file is finished. Memory: part 0 and each part's read buffer.
/// The service checks every part (S3 its CRC-32C, Azure its MD5), taken from the writer's bytes as they pass
/// (`wrote`), so a part is read from the file once, to be sent; a body that ended before its second part is one
/// request.
// Used by one thread at a time (the writer, then whoever finishes or aborts); the part jobs reach only `backend` and
// `failure` (which has its own lock).
final class FileParts: @unchecked Sendable {
  let location: BlobLocation
  let partSize: Int64
  /// The file bytes that go in part 0, with the prefix.
  let head: Int64
  private let backend: PartedUploadBackend
  private let path: String
  private let threads: ThreadPool
  private let failure = FirstFailure()
  private let checksums: PartHashes
  /// Every part request waits for a slot shared with the other bodies of its uploader, the oldest body first.
  private let turns: (slots: OldestFirstSlots, order: Int)
  private var begun = false
  /// The next part to send: parts 1 ..< `next` are sent or on their way.
  private var next = 1

  init(
    to location: BlobLocation, store: PartSending, options: BlobPutOptions, path: String,
    turns: (slots: OldestFirstSlots, order: Int)
  ) throws {
    self.location = location
    self.path = path
    self.turns = turns
    partSize = store.partSize
    head = min(partSize, 5 << 20)
    backend = try store.partBackend(to: location, options: options)
    checksums = PartHashes(algorithm: store.partChecksum, head: head, partSize: partSize)
    threads = ThreadPool(width: max(1, min(store.partConcurrency, 4)), backlog: FileParts.queuedParts)
  }

  /// Parts waiting for a thread: a queued part is a range of the file, not bytes, so the writer goes on while the
  /// store is slower than the cut.
  static let queuedParts = 1 << 12

  /// Where part `index` ≥ 1 starts in the file.
  private func start(of index: Int) -> Int64 { checksums.start(of: index) }

  func wrote(_ bytes: UnsafeRawBufferPointer, at offset: Int64) { checksums.take(bytes, at: offset) }

  /// Sends every whole part before `offset`; throws an earlier part's failure, or SIGTERM's.
  func written(upTo offset: Int64) throws {
    if ShutdownSignal.shared.isRequested { throw StoppedBySignal("while the upload was under way") }
    if let failed = failure.error { throw failed }
    while start(of: next + 1) <= offset {
      try send(next, start(of: next)..<start(of: next + 1))
      next += 1
    }
  }

  private func send(_ index: Int, _ range: Range<Int64>) throws {
    if !begun {
      try backend.begin()
      begun = true
    }
    let checksum = checksums.checksum(of: index, range: range)
    threads.submit { [backend, failure, path, turns] in
      turns.slots.withSlot(order: turns.order) {
        guard failure.error == nil else { return }
        do {
          try backend.putPart(index, file: path, range: range, checksum: checksum)
        } catch {
          failure.record(error)
        }
      }
    }
  }

  /// The parts left (the whole ones, the tail, part 0), then the object; on failure nothing is left behind.
  func finish(_ body: WrittenBody) throws -> StoredBlob {
    do {
      return try finishOrThrow(body)
    } catch {
      abort()
      throw error
    }
  }

  private func finishOrThrow(_ body: WrittenBody) throws -> StoredBlob {
    let digests = FileDigests(sha256: body.sha256, md5: [], bytes: body.byteCount)
    let end = body.range.upperBound
    if !begun && end < start(of: 2) {
      // A body that is all file (a live window) goes from the file, not held whole in memory at its end.
      if body.prefix.isEmpty { return try backend.putWhole(file: path, range: body.range, digests: digests) }
      return try backend.putWhole(try bytes(body.prefix, then: body.range), digests: digests)
    }
    try written(upTo: end)
    if start(of: next) < end {
      try send(next, start(of: next)..<end)
      next += 1
    }
    let first = try bytes(body.prefix, then: body.range.lowerBound..<min(head, end))
    threads.submit { [backend, failure, turns] in
      turns.slots.withSlot(order: turns.order) {
        do { try backend.putPart(0, first) } catch { failure.record(error) }
      }
    }
    threads.waitUntilIdle()
    if ShutdownSignal.shared.isRequested { throw StoppedBySignal("while the upload was under way") }
    if let failed = failure.error { throw failed }
    return try backend.complete(parts: next, digests: digests)
  }

  /// `prefix` then the file's bytes in `range`, read straight into one buffer.
  private func bytes(_ prefix: [UInt8], then range: Range<Int64>) throws -> [UInt8] {
    let file = try LocalFile.openForReading(path)
    defer { try? file.close() }
    let total = prefix.count + range.count
    return try [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
      _ = buffer.initialize(from: prefix)
      count = prefix.count
      while count < total {
        let offset = range.lowerBound + Int64(count - prefix.count)
        let read = try FileDescriptorIO.retryingInterrupts("pread") {
          pread(file.fileDescriptor, buffer.baseAddress! + count, total - count, off_t(offset))
        }
        guard read > 0 else { throw BlobIntegrityError(location: location, reason: "\(path) ended at \(offset)") }
        count += read
      }
    }
  }

  /// Nothing is stored: parts under way finish or stop, and the upload is aborted.
  func abort() {
    failure.record(StoppedBySignal("(the upload was abandoned)"))
    checksums.discard()
    threads.waitUntilIdle()
    if begun { backend.abort() }
    begun = false
  }
}
