import CliplineAWS
import CliplineCrypto
import CliplineHTTP
import CliplineSystem
import Foundation

/// Whether what an S3 server stored is the SHA-256 promised, when the server itself does not say so. AWS and
/// SeaweedFS check `x-amz-checksum-sha256` (a PUT's, each part's) and echo it, and answer a multipart completion with
/// the composite checksum; moto, and any server that ignores the header, store whatever arrived and say nothing. Such
/// a write is read back and hashed before anyone is told it succeeded.
extension S3Store {
  /// After a PUT: `echoed` is the `x-amz-checksum-sha256` the server answered with, which it sends only when it
  /// checked the bytes against it.
  func confirmWrite(_ target: Target, etag: String, sha256: [UInt8], echoed: String?) throws {
    if let echoed, echoed != sha256.base64String {
      try? delete(target.location)
      throw BlobIntegrityError(location: target.location, reason: "the stored SHA-256 is not the one sent")
    }
    try confirmWrite(target, etag: etag, sha256: sha256, checkedByServer: echoed != nil)
  }

  /// Returns when the server vouched for the SHA-256, or when the object read back has it. Otherwise the object
  /// goes and the write fails (65), so a record never names bytes that are not the ones it promises.
  func confirmWrite(_ target: Target, etag: String, sha256: [UInt8], checkedByServer: Bool) throws {
    guard !checkedByServer else { return }
    let stored = try storedSHA256(target, etag: etag)
    guard stored == sha256 else {
      try? delete(target.location)
      throw BlobIntegrityError(
        location: target.location,
        reason: "the server did not check the SHA-256 it was sent, and the object read back is "
          + "\(stored.hexString), not \(sha256.hexString)")
    }
  }

  /// The SHA-256 of the object as stored, streamed through the hash without a file. Only the version just written
  /// (If-Match its ETag): one another writer put in its place since is not ours to judge.
  private func storedSHA256(_ target: Target, etag: String) throws -> [UInt8] {
    let hasher = ReadBackHash(location: target.location)
    let headers: [(name: String, value: String)] = etag.isEmpty ? [] : [("If-Match", "\"\(etag)\"")]
    do {
      _ = try send("GET", target, headers: headers, to: { hasher.restart() })
    } catch let error as AWSServiceError where error.status == 412 {
      throw ReplacedWhileChecked(location: target.location)
    }
    return try hasher.finish()
  }

  /// The tags that carry a SHA-256 computed after the object was created (a multipart upload, a PUT whose checksum
  /// was a trailer), tied to the ETag of the object it describes: tags are set by a second request, and a second
  /// writer of the key can complete in between, so a digest whose ETag is not the object's is not the object's.
  func digestTags(_ sha256: [UInt8], etag: String, options: BlobPutOptions) -> [String: String] {
    var tags = options.allTags
    tags[BlobPutOptions.sha256Tag] = sha256.hexString
    if !etag.isEmpty { tags[BlobPutOptions.sha256ETagTag] = etag }
    return tags
  }
}

/// The hash of one read-back attempt; a retried GET starts it again. Used by one request at a time: `restart` is
/// called before each attempt on the sending thread, and libcurl calls `consume` on that same thread.
private final class ReadBackHash: @unchecked Sendable {
  private let location: BlobLocation
  private var digest: Digest?

  init(location: BlobLocation) { self.location = location }

  func restart() -> ResponseDestination {
    digest = try? Digest(.sha256)
    return .successfulStream(
      ResponseStream(onResponse: { _, _ in }, consume: { [weak self] bytes in self?.digest?.update(bytes) }))
  }

  func finish() throws -> [UInt8] {
    guard let digest else {
      throw BlobIntegrityError(location: location, reason: "no SHA-256 context to read the object back with")
    }
    return digest.finish()
  }
}

/// Another writer replaced the object between our write and its check: ours is gone, so the check cannot pass
/// (75: the task, run again, writes and checks again).
public struct ReplacedWhileChecked: ExitStatusProviding, CustomStringConvertible {
  public let location: BlobLocation
  public var exitStatus: ExitStatus { .temporaryFailure }
  public var description: String {
    "\(location) was replaced by another writer before the server-unchecked upload could be read back"
  }
}
