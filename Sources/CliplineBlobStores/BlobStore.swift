import CliplineHTTP
import CliplineRecords
import CliplineSystem
import Foundation

/// One storage backend (S3, Azure Blob, a local directory) behind the same operations and the same answers.
public protocol BlobStore: Sendable {
  /// Uploads a body that exists whole (a local file, streamed from disk, or bytes in memory); the object appears
  /// whole or not at all, and the upload can be sent again.
  func put(_ body: BlobBody, to location: BlobLocation, options: BlobPutOptions) throws -> StoredBlob
  /// Starts an upload whose body the caller writes as it arrives (no local file); see `BlobUploadStream`.
  func openUpload(to location: BlobLocation, options: BlobPutOptions) throws -> BlobUploadStream
  /// Downloads an object to a local file, streamed; the file appears whole or not at all.
  func get(_ location: BlobLocation, to path: String) throws -> BlobInfo
  /// What is known about an object, or nil when there is none.
  func head(_ location: BlobLocation) throws -> BlobInfo?
  /// Removes an object; removing one that is not there is not an error.
  func delete(_ location: BlobLocation) throws
  /// A URL that reads (or writes) the object without credentials until `expires` seconds from now.
  func presignedURL(for location: BlobLocation, method: PresignMethod, expires: TimeInterval) throws -> String
  /// The objects under a prefix (`location`'s key is the prefix), with their expiry when they carry one.
  func list(prefix location: BlobLocation) throws -> [BlobInfo]
}

/// A body a store can send, and send again: a local file, or bytes already in memory whose SHA-256 is known (a
/// segment cut into memory), which the caller keeps until `put` returns.
public enum BlobBody: Sendable {
  case file(String)
  case memory(HeldBytes)
}

public enum PresignMethod: String, Sendable {
  case get = "GET"
  case put = "PUT"
}

/// How an upload is stored: what it is, and until when it is wanted.
public struct BlobPutOptions: Sendable {
  public var contentType: String?
  /// Tags (S3 object tags, Azure blob index tags, a sidecar for the local store).
  public var tags: [String: String]
  /// After this instant the object is cache garbage: set as a tag and the `Expires` header; `blob-rm --expired`
  /// removes it.
  public var expiresAt: Date?
  /// The file's SHA-256, when the caller already knows it (hashing a file twice costs a read).
  public var knownDigests: FileDigests?
  /// Or digests being computed while the upload runs (shared by a record's destinations).
  public var pendingDigests: PendingDigests?
  /// A SHA-256 tag owed after completion (S3 multipart) is returned in `StoredBlob.digestTags`, not set: the
  /// uploader sets it beside the server-side copies, so the copy does not wait for another round trip.
  public var digestTagsByCaller = false

  public init(
    contentType: String? = nil, tags: [String: String] = [:], expiresAt: Date? = nil, knownDigests: FileDigests? = nil,
    pendingDigests: PendingDigests? = nil
  ) {
    self.contentType = contentType
    self.tags = tags
    self.expiresAt = expiresAt
    self.knownDigests = knownDigests
    self.pendingDigests = pendingDigests
  }

  /// The tag a multipart upload's SHA-256 goes to when it was not known at CreateMultipartUpload.
  public static let sha256Tag = "clipline-sha256"
  /// Beside it, the ETag of the object that SHA-256 describes: a tag set by a writer whose object was replaced before
  /// its tagging request arrived describes the other writer's bytes no more.
  public static let sha256ETagTag = "clipline-sha256-etag"

  /// The SHA-256 digests: known, pending (waited for), or computed now. Only for a request whose server checks
  /// the bytes against the digest (an S3 PUT with x-amz-checksum-sha256): a wrong known digest is refused there.
  func sha256Digests(_ file: String) throws -> FileDigests {
    if let knownDigests, !knownDigests.sha256.isEmpty { return knownDigests }
    if let pendingDigests { return try pendingDigests.wait() }
    return try FileDigests.of(file, md5: false)
  }

  /// Where no server checks the known SHA-256 (a multipart upload's whole file, Azure, the local store), the store
  /// hashes the bytes it sends and calls this: a known digest that is not the file's is refused (65).
  func checkKnownDigest(_ computed: FileDigests, location: BlobLocation) throws {
    guard let known = knownDigests?.sha256, !known.isEmpty, known != computed.sha256 else { return }
    throw BlobIntegrityError(
      location: location, reason: "the file's SHA-256 is \(computed.sha256.hexString), not the known \(known.hexString)"
    )
  }

  /// The tag that carries the expiry, readable by `blob-rm --expired` on every backend.
  public static let expiryTag = "clipline-expires-at"

  public var allTags: [String: String] {
    var all = tags
    if let expiresAt { all[Self.expiryTag] = RFC3339.format(expiresAt, fractionalDigits: 0) }
    return all
  }
}

/// What an upload produced: the same fields on every backend.
public struct StoredBlob: Sendable, Equatable {
  public let location: BlobLocation
  public let bytes: Int64
  public let etag: String
  public let sha256: String
  /// Tags the store left to its caller (`BlobPutOptions.digestTagsByCaller`): the SHA-256 known only once the
  /// object was complete, set while its server-side copies are made; nil when none are owed.
  public var digestTags: [String: String]? = nil
}

/// An object as listed or inspected.
public struct BlobInfo: Sendable, Equatable {
  public let location: BlobLocation
  public let bytes: Int64
  public let etag: String?
  public let expiresAt: Date?
  /// The SHA-256 recorded at upload, when the object carries one.
  public let sha256: String?

  public init(location: BlobLocation, bytes: Int64, etag: String?, expiresAt: Date? = nil, sha256: String? = nil) {
    self.location = location
    self.bytes = bytes
    self.etag = etag
    self.expiresAt = expiresAt
    self.sha256 = sha256
  }
}

/// A downloaded or uploaded object whose bytes do not match what was promised: never kept (65).
public struct BlobIntegrityError: ExitStatusProviding, CustomStringConvertible {
  public let location: BlobLocation
  public let reason: String
  public var exitStatus: ExitStatus { .dataError }
  public var description: String { "\(location): integrity check failed: \(reason)" }
}

/// A storage error with the object it concerns, so the sentence names bucket and key (never a secret).
public struct BlobStoreError: ExitStatusProviding, CustomStringConvertible {
  public let operation: String
  public let location: BlobLocation
  public let underlying: Error

  public init(_ operation: String, _ location: BlobLocation, _ underlying: Error) {
    self.operation = operation
    self.location = location
    self.underlying = underlying
  }

  /// The underlying error's code, as in every other tool: 69 when the service could not be reached at all
  /// (connection refused, host not found), 75 when it was reached but timed out, answered 5xx or throttled.
  public var exitStatus: ExitStatus { ExitStatus.of(underlying) }

  public var description: String {
    let hint: String
    switch exitStatus {
    case .permissionDenied:
      // A local file is refused by the file system, not by a credential: name what refused it.
      if case .file = location {
        hint = (underlying as? SystemCallError).flatMap { Self.errnoNames[$0.code] }.map { " (\($0))" } ?? ""
      } else {
        hint = " (check the credentials and their permissions for this bucket/container)"
      }
    case .temporaryFailure: hint = " (worth retrying later)"
    case .unavailable: hint = " (is the endpoint right, and the service running?)"
    default: hint = ""
    }
    return "\(operation) \(location) failed: \(describe(underlying))\(hint)"
  }

  private static let errnoNames: [Int32: String] = [EACCES: "EACCES", EPERM: "EPERM", EROFS: "EROFS"]
}

/// The local source file of an upload is missing (66).
public struct MissingLocalFile: ExitStatusProviding, CustomStringConvertible {
  public let path: String
  public var exitStatus: ExitStatus { .noInput }
  public var description: String { "local file \(path) does not exist" }

  /// Opens an upload's source: missing, it is this error; any other failure (refused, out of descriptors) says so.
  static func opening(_ path: String) throws -> FileHandle {
    do {
      return try LocalFile.openForReading(path)
    } catch let error as FileSystemError where error.code == ENOENT || error.code == ENOTDIR {
      throw MissingLocalFile(path: path)
    }
  }
}
