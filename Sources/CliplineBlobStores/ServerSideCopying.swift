import Foundation

/// A store that can copy an object it holds to another key on the same service and account without the bytes
/// passing through the client: S3 CopyObject (UploadPartCopy above 5 GiB), Azure Put Blob From URL. `blob-put`
/// uses it for a record's second destination on the same service (the cache copy).
public protocol ServerSideCopying: BlobStore {
  /// True when `destination` can be a server-side copy of `source` (same service and account).
  func canCopy(from source: BlobLocation, to destination: BlobLocation) -> Bool
  /// Copies the object just stored as `source` (its ETag guards against a concurrent rewrite) to `destination`,
  /// with the destination's own content type, tags and expiry, and the source's SHA-256 as its recorded digest.
  func copy(_ source: StoredBlob, to destination: BlobLocation, options: BlobPutOptions) throws -> StoredBlob
}
