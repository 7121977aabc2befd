import CliplineHTTP
import CliplineSystem
import Foundation

extension BlobStore {
  /// A body already in memory whose SHA-256 is known, where the service has no single request for it (Azure, the
  /// local store, S3 above 5 GiB): written into a streamed upload that takes that SHA-256 as known.
  func putStreamed(_ bytes: HeldBytes, to location: BlobLocation, options: BlobPutOptions) throws -> StoredBlob {
    try putStreamed(sha256: bytes.sha256, bytes: bytes.byteCount, to: location, options: options) { upload in
      try bytes.withPieces { pieces in
        // In slices, so a store that queues what it is given (an S3 streamed PUT) holds little at once.
        let slice = 256 << 10
        for piece in pieces {
          var start = 0
          while start < piece.count {
            let end = min(piece.count, start + slice)
            try upload.write(UnsafeRawBufferPointer(rebasing: piece[start..<end]))
            start = end
          }
        }
      }
    }
  }

  /// A body whose SHA-256 and size are known, which `write` writes into a streamed upload that takes that SHA-256
  /// as known; a failure aborts the upload.
  func putStreamed(
    sha256: [UInt8], bytes: Int64, to location: BlobLocation, options: BlobPutOptions,
    write: (BlobUploadStream) throws -> Void
  ) throws -> StoredBlob {
    var options = options
    options.knownDigests = FileDigests(sha256: sha256, md5: [], bytes: bytes)
    let upload = try openUpload(to: location, options: options)
    do {
      try upload.expect(bytes: bytes)
      try write(upload)
      return try upload.finish()
    } catch {
      upload.abort()
      throw error
    }
  }
}

extension S3Store {
  /// Up to S3's single-PUT limit, one PutObject signed with the known SHA-256, which the server checks: no
  /// aws-chunked framing to parse (SeaweedFS spends a quarter more CPU on a framed body), and the same request
  /// can be sent again after a 5xx or a timeout.
  func put(memory bytes: HeldBytes, to location: BlobLocation, options: BlobPutOptions) throws -> StoredBlob {
    guard bytes.byteCount <= 5 << 30 else { return try putStreamed(bytes, to: location, options: options) }
    let target = try self.target(location)
    do {
      return try bytes.withPieces { pieces in
        try putObject(
          .pieces(HTTPBodyPieces(pieces)), digests: FileDigests(sha256: bytes.sha256, md5: [], bytes: bytes.byteCount),
          target: target, options: options)
      }
    } catch let error as BlobIntegrityError {
      throw error
    } catch {
      throw BlobStoreError("upload to", location, error)
    }
  }
}
