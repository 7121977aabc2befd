import CliplineAWS
import CliplineHTTP
import CliplineRecords
import CliplineSystem
import Foundation

extension S3Store: ServerSideCopying {
  public func canCopy(from source: BlobLocation, to destination: BlobLocation) -> Bool {
    if case .s3 = source, case .s3 = destination { return true }
    return false
  }

  /// CopyObject with the destination's headers (metadata and tagging directives REPLACE), or UploadPartCopy in
  /// parts from `copyPartThreshold` up (CopyObject stops at 5 GiB). `x-amz-copy-source-if-match` makes a
  /// concurrent rewrite of the source an error instead of a copy of someone else's bytes.
  public func copy(_ source: StoredBlob, to location: BlobLocation, options: BlobPutOptions) throws -> StoredBlob {
    let from = try target(source.location)
    let target = try self.target(location)
    let copySource = "/\(from.bucket)/" + HTTPEncoding.path(from.key)
    var guardHeaders: [(name: String, value: String)] = [("x-amz-copy-source", copySource)]
    if !source.etag.isEmpty { guardHeaders.append(("x-amz-copy-source-if-match", "\"\(source.etag)\"")) }
    let digest = Array(hex: source.sha256)
    do {
      if source.bytes >= configuration.copyPartThreshold {
        return try copyInParts(source, guardHeaders: guardHeaders, to: target, options: options, digest: digest)
      }
      var headers = objectHeaders(options, sha256: digest) + guardHeaders
      headers += [("x-amz-metadata-directive", "REPLACE"), ("x-amz-tagging-directive", "REPLACE")]
      let response = try send("PUT", target, headers: headers)
      let etag = Self.unquoted(XMLScanner(response.body).text("ETag") ?? response.header("ETag") ?? "")
      return StoredBlob(location: location, bytes: source.bytes, etag: etag, sha256: source.sha256)
    } catch let error as BlobIntegrityError {
      throw error
    } catch {
      throw BlobStoreError("server-side copy to", location, error)
    }
  }

  func copyInParts(
    _ source: StoredBlob, guardHeaders: [(name: String, value: String)], to target: Target, options: BlobPutOptions,
    digest: [UInt8]?
  ) throws -> StoredBlob {
    let (partSize, partCount) = parts(ofObject: source.bytes)
    let uploadQuery = try createMultipartUpload(target, headers: objectHeaders(options, sha256: digest))
    let parts = PartResults()
    do {
      let errors = ParallelWork.run(count: partCount, width: configuration.concurrency, stopOnFirstError: true) {
        index in
        if ShutdownSignal.shared.isRequested { throw StoppedBySignal() }
        let start = Int64(index) * partSize
        let end = min(source.bytes, start + partSize) - 1
        let response = try self.send(
          "PUT", target, query: "partNumber=\(index + 1)&" + uploadQuery,
          headers: guardHeaders + [("x-amz-copy-source-range", "bytes=\(start)-\(end)")])
        guard let etag = XMLScanner(response.body).text("ETag") else {
          throw AWSServiceError(
            code: "MalformedResponse", message: "UploadPartCopy \(index + 1) answered without an ETag", status: 500,
            resource: target.location.description)
        }
        parts.set(index, etag: etag, checksum: [])
      }
      if let failure = ParallelWork.firstFailure(errors) { throw failure }
      let completed = try completeMultipartUpload(target, uploadQuery: uploadQuery, parts: parts)
      let etag = Self.unquoted(completed.text("ETag") ?? "")
      // CreateMultipartUpload takes no x-amz-tagging on every server: set the tags once the object exists.
      if !options.allTags.isEmpty { try setTags(options.allTags, of: target.location) }
      return StoredBlob(location: target.location, bytes: source.bytes, etag: etag, sha256: source.sha256)
    } catch {
      abort(target: target, uploadQuery: uploadQuery)
      throw error
    }
  }
}

extension Array where Element == UInt8 {
  /// The bytes of a hex string, or nil when it is not one.
  init?(hex text: String) {
    guard text.utf8.count % 2 == 0 else { return nil }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.utf8.count / 2)
    var index = text.startIndex
    while index < text.endIndex {
      let next = text.index(index, offsetBy: 2)
      guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
      bytes.append(byte)
      index = next
    }
    self = bytes
  }
}
