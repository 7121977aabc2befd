import CliplineCrypto
import CliplineSystem
import Foundation

/// An upload whose body arrives piece by piece (a download being received) and goes to the store as it comes: no
/// local file, each byte hashed once as it arrives. The object appears whole at `finish()` or not at all.
public protocol BlobUploadStream: AnyObject, Sendable {
  /// Before the first `write`: the body will be exactly `bytes` long (a download's Content-Length). A store that
  /// can send a body of known length while it arrives (S3: one PUT with a trailing checksum) then does.
  func expect(bytes: Int64) throws
  /// The next bytes of the body; may wait while earlier parts are still being sent (so memory stays bounded).
  func write(_ bytes: UnsafeRawBufferPointer) throws
  /// Ends the body and waits for the object.
  func finish() throws -> StoredBlob
  /// Gives up: nothing is stored (an open multipart upload is aborted). Safe after a failed `write` or `finish`.
  func abort()
}

/// How a cloud store sends a streamed body: in one request when it ended small, else in parts as they fill
/// (S3 multipart upload, Azure blocks). `PartedUploadStream` does the buffering, hashing and pacing for both.
protocol PartedUploadBackend: Sendable {
  /// A request that sends a body of `bytes` while it arrives, or nil where the service has none for that size.
  func streamedPut(bytes: Int64) throws -> StreamedPut?
  /// The whole body, which ended before reaching the multipart threshold, in one request.
  func putWhole(_ bytes: [UInt8], digests: FileDigests) throws -> StoredBlob
  /// The whole body, `range` of a file, in one request sent from the file (never held in memory).
  func putWhole(file: String, range: Range<Int64>, digests: FileDigests) throws -> StoredBlob
  /// Before the first part (CreateMultipartUpload).
  func begin() throws
  /// Part `index` (from 0); called from several threads at once.
  func putPart(_ index: Int, _ bytes: [UInt8]) throws
  /// Part `index` read from `range` of a file (sent from the file, never held in memory); its checksum (the
  /// store's `partChecksum`) is `checksum` when given, else taken from the file first.
  func putPart(_ index: Int, file: String, range: Range<Int64>, checksum: [UInt8]?) throws
  /// After the last part: commit the object, whose SHA-256 is now known.
  func complete(parts: Int, digests: FileDigests) throws -> StoredBlob
  /// After a failure once `begin` succeeded: leave no parts behind.
  func abort()
}

/// The buffering half of a streamed upload: up to `threshold` (at least a part) the body stays in memory and goes in
/// one request; past it, every `partSize` bytes become a part sent on one of `concurrency` threads while the next
/// fill, and a writer that gets `concurrency` parts ahead waits. Memory: at most `concurrency + 1` parts.
// Used by one thread at a time (the writer, then whoever finishes or aborts); the part jobs reach only `backend` and
// `firstFailure` (which has its own lock), never `self`: so the stream, its digest context included, is released on
// the caller's thread, not on a pool thread while the process may be exiting (OpenSSL's atexit cleanup then races
// the context's free).
final class PartedUploadStream: BlobUploadStream, @unchecked Sendable {
  private let backend: PartedUploadBackend
  private let partSize: Int
  private let threshold: Int
  private let concurrency: Int
  private let location: BlobLocation
  private let whole: Digest
  /// The body's SHA-256 as its producer computed it: sent as its checksum, the body not hashed again.
  private let known: [UInt8]?
  private var buffer: [UInt8] = []
  private var total: Int64 = 0
  private var parts = 0
  private var pool: ThreadPool?
  /// The one request a body of known length goes in, once `expect` chose it.
  private var streamed: StreamedPut?
  /// Aborted, or finished: `abort()` has nothing (more) to do.
  private var aborted = false
  private let firstFailure = FirstFailure()

  init(
    backend: PartedUploadBackend, location: BlobLocation, partSize: Int64, threshold: Int64, concurrency: Int,
    known: [UInt8]? = nil
  ) throws {
    self.known = known
    self.backend = backend
    self.location = location
    self.partSize = Int(max(partSize, 5 << 20))
    self.threshold = Int(max(threshold, partSize))
    self.concurrency = max(1, concurrency)
    whole = try Digest(.sha256)
  }

  func expect(bytes: Int64) throws {
    guard total == 0, streamed == nil else { return }
    streamed = try backend.streamedPut(bytes: bytes)
  }

  func write(_ bytes: UnsafeRawBufferPointer) throws {
    // A part cut short by the signal fails too: the signal is what to report.
    if ShutdownSignal.shared.isRequested { throw StoppedBySignal("while the upload was under way") }
    if let failure = firstFailure.error { throw failure }
    // A known SHA-256 goes with a whole body or a streamed PUT as its checksum, which the server checks; parts are
    // checked one by one, so a body sent in parts is hashed (from the part that begins them) and compared.
    if known == nil || pool != nil { whole.update(bytes) }
    if let streamed {
      total += Int64(bytes.count)
      return try streamed.write(bytes)
    }
    buffer.append(contentsOf: bytes)
    total += Int64(bytes.count)
    if pool == nil, buffer.count > threshold {
      if known != nil { whole.update(buffer) }
      try backend.begin()
      // `submit` waits once `concurrency` parts are in flight: that wait is the pacing.
      pool = ThreadPool(width: concurrency)
    }
    while pool != nil, buffer.count >= partSize {
      let part = Array(buffer[..<partSize])
      buffer.removeFirst(partSize)
      send(part)
    }
  }

  private func send(_ part: [UInt8]) {
    let index = parts
    parts += 1
    guard parts <= 10_000 else { return firstFailure.record(TooManyParts(location: location, partSize: partSize)) }
    pool?.submit { [backend, firstFailure] in
      guard firstFailure.error == nil else { return }
      do {
        try backend.putPart(index, part)
      } catch {
        firstFailure.record(error)
      }
    }
  }

  /// On failure the upload is aborted: nothing stays behind.
  func finish() throws -> StoredBlob {
    do {
      let stored = try finishOrThrow()
      aborted = true  // done: nothing left to abort
      return stored
    } catch {
      abort()
      throw error
    }
  }

  private func finishOrThrow() throws -> StoredBlob {
    let digests = FileDigests(sha256: pool == nil ? known ?? whole.finish() : whole.finish(), md5: [], bytes: total)
    if let streamed { return try streamed.finish(digests) }
    guard let pool else {
      let body = buffer
      buffer = []
      return try backend.putWhole(body, digests: digests)
    }
    if !buffer.isEmpty || parts == 0 { send(buffer) }
    buffer = []
    pool.waitUntilIdle()
    if ShutdownSignal.shared.isRequested { throw StoppedBySignal("while the upload was under way") }
    if let failure = firstFailure.error { throw failure }
    return try backend.complete(parts: parts, digests: digests)
  }

  func abort() {
    guard !aborted else { return }
    aborted = true
    firstFailure.record(StoppedBySignal("(the upload was abandoned)"))
    pool?.waitUntilIdle()
    buffer = []
    if pool != nil { backend.abort() }
    streamed?.abort()
  }
}

/// A step of an upload taken before the one it needs (a bug, not the data's fault).
struct UploadOutOfOrder: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// A streamed body too large for S3's 10,000 parts at this part size (78: a larger --part-size fixes it).
struct TooManyParts: ExitStatusProviding, CustomStringConvertible {
  let location: BlobLocation
  let partSize: Int
  var exitStatus: ExitStatus { .configuration }
  var description: String {
    "\(location): the body needs more than 10,000 parts of \(partSize >> 20) MiB; give a larger --part-size"
  }
}

/// Runs one request of an upload to `location`, its failure named as `put(file:)` names it (an integrity failure
/// stays itself: it is the data's fault, 65).
func namingUploadFailure<T>(_ location: BlobLocation, _ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let error as BlobIntegrityError {
    throw error
  } catch {
    throw BlobStoreError("upload to", location, error)
  }
}

/// One request carrying a body of known length while it arrives (S3: PutObject with a trailing checksum): the
/// object appears at `finish` or, the request failing or abandoned, not at all.
protocol StreamedPut: AnyObject, Sendable {
  func write(_ bytes: UnsafeRawBufferPointer) throws
  func finish(_ digests: FileDigests) throws -> StoredBlob
  func abort()
}

extension BlobUploadStream {
  public func expect(bytes: Int64) throws {}
}
