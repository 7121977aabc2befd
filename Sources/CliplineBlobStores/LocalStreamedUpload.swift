import CliplineCrypto
import Foundation

extension LocalBlobStore {
  /// A body streamed into a temporary file next to the destination, hashed as it is written, renamed into place
  /// with its attribute at `finish()`; `abort()` removes it.
  public func openUpload(to location: BlobLocation, options: BlobPutOptions) throws -> BlobUploadStream {
    try LocalUploadStream(destination: try path(location), location: location, options: options)
  }
}

// Used by one thread at a time: the writer, then whoever finishes or aborts.
final class LocalUploadStream: BlobUploadStream, @unchecked Sendable {
  let location: BlobLocation
  let options: BlobPutOptions
  private let file: AtomicFile
  private let output: FileHandle
  private let sha256: Digest
  private let md5: Digest
  private var bytes: Int64 = 0

  init(destination: String, location: BlobLocation, options: BlobPutOptions) throws {
    self.location = location
    self.options = options
    file = try AtomicFile(destination: destination)
    output = try file.create()
    sha256 = try Digest(.sha256)
    md5 = try Digest(.md5)
  }

  deinit { try? output.close() }

  func write(_ bytes: UnsafeRawBufferPointer) throws {
    sha256.update(bytes)
    md5.update(bytes)
    try output.write(contentsOf: Data(bytes))
    self.bytes += Int64(bytes.count)
  }

  func finish() throws -> StoredBlob {
    defer { file.discard() }
    let digest = sha256.finish()
    try options.checkKnownDigest(FileDigests(sha256: digest, md5: [], bytes: bytes), location: location)
    try LocalObjectAttributes(sha256: digest.hexString, tags: options.allTags)
      .write(to: output.fileDescriptor, path: file.destination)
    try output.close()
    try file.commit()
    return StoredBlob(location: location, bytes: bytes, etag: md5.finish().hexString, sha256: digest.hexString)
  }

  func abort() {
    try? output.close()
    file.discard()
  }
}
