import Foundation
import CliplineHashing

/// SHA-256 and MD5 of a file (or a range of it) in one read: SHA-256 is what records carry, SigV4 signs and S3
/// verifies (`x-amz-checksum-sha256`); MD5 is what Azure verifies (`Content-MD5`).
public struct FileDigests: Sendable, Equatable {
  public let sha256: [UInt8]
  public let md5: [UInt8]
  public let bytes: Int64

  /// Either digest may be skipped (left empty): MD5 costs twice SHA-256's time on CPUs with SHA extensions, and
  /// S3 verifies `x-amz-checksum-sha256`, so only Azure (which checks `Content-MD5`) asks for it.
  public static func of(
    _ path: String, offset: Int64 = 0, length: Int64? = nil, sha256: Bool = true, md5: Bool = true
  ) throws -> FileDigests {
    guard let handle = FileHandle(forReadingAtPath: path) else { throw MissingLocalFile(path: path) }
    defer { try? handle.close() }
    if offset > 0 { try handle.seek(toOffset: UInt64(offset)) }
    let sha = sha256 ? try Digest(.sha256) : nil
    let md5 = md5 ? try Digest(.md5) : nil
    var remaining = length ?? Int64.max
    var total: Int64 = 0
    while remaining > 0 {
      guard let data = try handle.read(upToCount: Int(min(remaining, 1 << 20))), !data.isEmpty else { break }
      sha?.update(data)
      md5?.update(data)
      remaining -= Int64(data.count)
      total += Int64(data.count)
    }
    return FileDigests(sha256: sha?.finish() ?? [], md5: md5?.finish() ?? [], bytes: total)
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

/// A file's digests computed on their own thread, so hashing overlaps the upload (a multipart upload needs the
/// whole-file SHA-256 only at its end); every destination of a record shares the one pass.
public final class PendingDigests: @unchecked Sendable {
  private let done = DispatchSemaphore(value: 0)
  private var result: Result<FileDigests, Error>?
  private let lock = NSLock()

  public init(file: String, md5: Bool = false) {
    let thread = Thread { [self] in
      let outcome = Result { try FileDigests.of(file, md5: md5) }
      lock.withLock { result = outcome }
      done.signal()
    }
    thread.start()
  }

  public init(ready: FileDigests) {
    result = .success(ready)
    done.signal()
  }

  public func wait() throws -> FileDigests {
    if let ready = lock.withLock({ result }) { return try ready.get() }
    done.wait()
    done.signal()  // later waiters pass straight through
    return try lock.withLock { result! }.get()
  }

  /// The digests if they are already computed, without waiting.
  public var ifReady: FileDigests? { lock.withLock { try? result?.get() } }
}
