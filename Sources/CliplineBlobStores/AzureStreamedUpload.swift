import CliplineCrypto
import CliplineHTTP
import Foundation

extension AzureBlobStore {
  /// A body streamed in as it arrives: one Put Blob from memory when it ends below the block threshold, else
  /// blocks put as they fill and one Put Block List (blocks never listed are discarded by the service, so a
  /// failure leaves no blob).
  public func openUpload(to location: BlobLocation, options: BlobPutOptions) throws -> BlobUploadStream {
    let backend = AzureStreamedBlocks(store: self, target: try target(location), options: options)
    return try PartedUploadStream(
      backend: backend, location: location, partSize: configuration.blockSize,
      threshold: configuration.blockThreshold, concurrency: configuration.concurrency,
      known: options.knownDigests?.sha256)
  }
}

/// Azure's half of a streamed upload.
struct AzureStreamedBlocks: PartedUploadBackend {
  let store: AzureBlobStore
  let target: AzureBlobStore.Target
  let options: BlobPutOptions
  let nonce = AzureBlobStore.blockNonce()

  func named<T>(_ body: () throws -> T) throws -> T { try namingUploadFailure(target.location, body) }

  func putWhole(_ bytes: [UInt8], digests: FileDigests) throws -> StoredBlob {
    let withMD5 = FileDigests(sha256: digests.sha256, md5: Digest.md5(bytes), bytes: digests.bytes)
    return try named { try store.putBlob(.bytes(bytes), digests: withMD5, target: target, options: options) }
  }

  func putWhole(file: String, range: Range<Int64>, digests: FileDigests) throws -> StoredBlob {
    let md5 = try FileDigests.of(file, offset: range.lowerBound, length: Int64(range.count), sha256: false).md5
    let withMD5 = FileDigests(sha256: digests.sha256, md5: md5, bytes: digests.bytes)
    let body = HTTPBody.file(path: file, offset: range.lowerBound, length: Int64(range.count))
    return try named { try store.putBlob(body, digests: withMD5, target: target, options: options) }
  }

  /// Azure checks Content-MD5, which must come before the body: no blob goes up while its bytes arrive in one
  /// request (blocks do, as they fill).
  func streamedPut(bytes: Int64) throws -> StreamedPut? { nil }

  func begin() throws {}

  func putPart(_ index: Int, _ bytes: [UInt8]) throws {
    let id = AzureBlobStore.blockIDs(nonce: nonce, from: index, count: 1)[0]
    let md5 = Digest.md5(bytes)
    try named { try store.putBlock(id, body: .bytes(bytes), md5: md5, target: target) }
  }

  func putPart(_ index: Int, file: String, range: Range<Int64>, checksum: [UInt8]?) throws {
    let id = AzureBlobStore.blockIDs(nonce: nonce, from: index, count: 1)[0]
    let md5 =
      try checksum ?? FileDigests.of(file, offset: range.lowerBound, length: Int64(range.count), sha256: false).md5
    let body = HTTPBody.file(path: file, offset: range.lowerBound, length: Int64(range.count))
    try named { try store.putBlock(id, body: body, md5: md5, target: target) }
  }

  func complete(parts count: Int, digests: FileDigests) throws -> StoredBlob {
    let ids = AzureBlobStore.blockIDs(nonce: nonce, from: 0, count: count)
    return try named { try store.commitBlocks(ids, digests: digests, target: target, options: options) }
  }

  func abort() {}
}
