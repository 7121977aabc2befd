import CliplineAWS
import CliplineHashing
import Foundation

extension S3Store {
  /// A body streamed in as it arrives: one PutObject from memory when it ends below the multipart threshold, else a
  /// multipart upload whose parts go as they fill; a failure or `abort()` aborts it, so nothing is left behind.
  public func openUpload(to location: BlobLocation, options: BlobPutOptions) throws -> BlobUploadStream {
    let backend = S3StreamedParts(store: self, target: try target(location), options: options)
    return try PartedUploadStream(
      backend: backend, location: location, partSize: configuration.partSize,
      threshold: configuration.multipartThreshold, concurrency: configuration.concurrency)
  }
}

/// S3's half of a streamed upload; errors name the object, as `put(file:)`'s do.
final class S3StreamedParts: PartedUploadBackend, @unchecked Sendable {  // `uploadQuery` is set once, by `begin`
  let store: S3Store
  let target: S3Store.Target
  let options: BlobPutOptions
  let parts = PartResults()
  private var uploadQuery: String?

  init(store: S3Store, target: S3Store.Target, options: BlobPutOptions) {
    self.store = store
    self.target = target
    self.options = options
  }

  func named<T>(_ body: () throws -> T) throws -> T { try namingUploadFailure(target.location, body) }

  func putWhole(_ bytes: [UInt8], digests: FileDigests) throws -> StoredBlob {
    try options.checkKnownDigest(digests, location: target.location)
    return try named { try store.putObject(.bytes(bytes), digests: digests, target: target, options: options) }
  }

  func begin() throws {
    let known = options.knownDigests.flatMap { $0.sha256.isEmpty ? nil : $0.sha256 }
    uploadQuery = try named {
      try store.createMultipartUpload(
        target, headers: store.objectHeaders(options, sha256: known) + [("x-amz-checksum-algorithm", "SHA256")])
    }
  }

  func putPart(_ index: Int, _ bytes: [UInt8]) throws {
    try named {
      try store.uploadPart(
        index, body: .bytes(bytes), sha256: Digest.sha256(bytes), target: target, uploadQuery: uploadQuery!,
        into: parts)
    }
  }

  func complete(parts count: Int, digests: FileDigests) throws -> StoredBlob {
    try named {
      try store.completeMultipart(
        target, uploadQuery: uploadQuery!, parts: parts, digests: digests,
        sha256KnownAtCreation: options.knownDigests?.sha256.isEmpty == false, options: options)
    }
  }

  func abort() {
    if let uploadQuery { store.abort(target: target, uploadQuery: uploadQuery) }
  }
}
