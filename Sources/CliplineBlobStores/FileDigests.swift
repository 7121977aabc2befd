import CliplineCrypto
import CliplineSystem
import Foundation

/// SHA-256 and MD5 of a file (or a range of it) in one read: SHA-256 is what records carry, SigV4 signs and S3
/// verifies (`x-amz-checksum-sha256`); MD5 is what Azure verifies (`Content-MD5`).
public struct FileDigests: Sendable, Equatable {
  public let sha256: [UInt8]
  public let md5: [UInt8]
  public let bytes: Int64

  public init(sha256: [UInt8], md5: [UInt8] = [], bytes: Int64) {
    self.sha256 = sha256
    self.md5 = md5
    self.bytes = bytes
  }

  /// Either digest may be skipped (left empty): MD5 costs twice SHA-256's time on CPUs with SHA extensions, and
  /// S3 verifies `x-amz-checksum-sha256`, so only Azure (which checks `Content-MD5`) asks for it.
  public static func of(
    _ path: String, offset: Int64 = 0, length: Int64? = nil, sha256: Bool = true, md5: Bool = true
  ) throws -> FileDigests {
    let handle = try MissingLocalFile.opening(path)
    defer { try? handle.close() }
    let sha = sha256 ? try Digest(.sha256) : nil
    let md5 = md5 ? try Digest(.md5) : nil
    let total = try FileDescriptorIO.readRange(handle.fileDescriptor, from: offset, length: length) { block in
      sha?.update(block)
      md5?.update(block)
    }
    return FileDigests(sha256: sha?.finish() ?? [], md5: md5?.finish() ?? [], bytes: total)
  }

  /// The `algorithm` checksum of `length` bytes of a file from `offset` (a part a store checks against it).
  static func checksum(_ algorithm: Digest.Algorithm, of path: String, range: Range<Int64>) throws -> [UInt8] {
    let handle = try MissingLocalFile.opening(path)
    defer { try? handle.close() }
    let digest = try Digest(algorithm)
    try FileDescriptorIO.readRange(handle.fileDescriptor, from: range.lowerBound, length: Int64(range.count)) {
      digest.update($0)
    }
    return digest.finish()
  }
}

extension FileDigests {
  /// These digests, with the ones this lacks taken from `other` (same file).
  func merged(_ other: FileDigests) -> FileDigests {
    FileDigests(
      sha256: sha256.isEmpty ? other.sha256 : sha256, md5: md5.isEmpty ? other.md5 : md5, bytes: max(bytes, other.bytes)
    )
  }
}

/// The size of a local file, or `MissingLocalFile` (66).
func localFileSize(_ path: String) throws -> Int64 {
  var status = stat()
  guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { throw MissingLocalFile(path: path) }
  return Int64(status.st_size)
}

/// A file's digests computed on their own thread, so hashing overlaps the upload (a block upload needs the
/// whole-file SHA-256 only at its end); every destination of a record shares the one pass. The pass starts on the
/// first `start()` or `wait()`: a record whose destinations never need it (a known digest, a multipart upload that
/// hashes its parts, a server-side copy) never reads the file for it.
public final class PendingDigests: @unchecked Sendable {  // `lock` guards `result`, `pendingFile`, `worker`
  private let done = DispatchSemaphore(value: 0)
  private var result: Result<FileDigests, Error>?
  private var pendingFile: (path: String, md5: Bool)?
  private var worker: ThreadPool?
  private let lock = NSLock()

  public init(file: String, md5: Bool = false) { pendingFile = (file, md5) }

  public init(ready: FileDigests) {
    result = .success(ready)
    done.signal()
  }

  /// Starts the pass if nothing started it yet.
  public func start() {
    guard
      let (file, md5) = lock.withLock({ () -> (String, Bool)? in
        defer { pendingFile = nil }
        return pendingFile
      })
    else { return }
    let worker = ThreadPool(width: 1)
    lock.withLock { self.worker = worker }
    worker.submit { [self] in
      let outcome = Result { try FileDigests.of(file, md5: md5) }
      lock.withLock { result = outcome }
      done.signal()
    }
  }

  public func wait() throws -> FileDigests {
    if let ready = lock.withLock({ result }) { return try ready.get() }
    start()
    done.wait()
    done.signal()  // later waiters pass straight through
    return try lock.withLock { result ?? .failure(UploadOutOfOrder("the digest pass ended without a result")) }.get()
  }

  /// The digests if they are already computed, without waiting (or starting the pass).
  public var ifReady: FileDigests? { lock.withLock { try? result?.get() } }
}

/// One sequential pass over a file that yields each part's CRC-32C (for a multipart upload's per-part checksums)
/// and the whole file's SHA-256, so the file is read once for hashing and once for sending, and SHA-256 runs once.
/// Parts become ready in order; an upload of part N waits only for the pass to get past it.
final class PartDigests: @unchecked Sendable {  // `condition` guards `parts`, `whole`, `failure`
  private let condition = NSCondition()
  private var parts: [[UInt8]] = []
  private var whole: FileDigests?
  private var failure: Error?

  private let worker = ThreadPool(width: 1)

  init(file: String, partSize: Int64, size: Int64) {
    worker.submit { [self] in
      do {
        let digests = try Self.hash(file, partSize: partSize, size: size) { part in
          condition.withLock {
            parts.append(part)
            condition.broadcast()
          }
        }
        condition.withLock { whole = digests }
      } catch {
        condition.withLock { failure = error }
      }
      condition.withLock { condition.broadcast() }
    }
  }

  static func hash(_ file: String, partSize: Int64, size: Int64, part: ([UInt8]) -> Void) throws -> FileDigests {
    let handle = try MissingLocalFile.opening(file)
    defer { try? handle.close() }
    let whole = try Digest(.sha256)
    var total: Int64 = 0
    while total < size {
      let piece = try Digest(S3Store.partChecksum)
      let length = min(partSize, size - total)
      let read = try FileDescriptorIO.readRange(handle.fileDescriptor, from: total, length: length) { block in
        piece.update(block)
        whole.update(block)
      }
      guard read == length else { throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: file]) }
      total += length
      part(piece.finish())
    }
    return FileDigests(sha256: whole.finish(), md5: [], bytes: total)
  }

  /// Part `index`'s CRC-32C, once the pass has read it.
  func part(_ index: Int) throws -> [UInt8] {
    try condition.withLock {
      while parts.count <= index && failure == nil && whole == nil { condition.wait() }
      if index < parts.count { return parts[index] }
      throw failure ?? CocoaError(.fileReadCorruptFile)
    }
  }

  /// The whole file's SHA-256, once the pass is done.
  func wholeFile() throws -> FileDigests {
    try condition.withLock {
      while whole == nil && failure == nil { condition.wait() }
      if let failure { throw failure }
      guard let whole else { throw UploadOutOfOrder("the digest pass ended without a result") }
      return whole
    }
  }
}
