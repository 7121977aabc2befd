import CliplineAWS
import Foundation
import CliplineHTTP
import CliplineHashing
import CliplineRecords
import CliplineSystem

extension S3Store {
  /// CreateMultipartUpload, parts in parallel (each with its own MD5 and signed SHA-256), CompleteMultipartUpload;
  /// any failure (or SIGTERM) aborts the upload so no parts are left behind and no object appears.
  /// The whole-file SHA-256 is hashed while the parts go (its own pass, shared with the record's other
  /// destinations); when it was not known at CreateMultipartUpload it is stored as a tag after completion.
  func putMultipart(file: String, size: Int64, target: Target, options: BlobPutOptions) throws -> StoredBlob {
    let known = options.knownDigests.flatMap { $0.sha256.isEmpty ? nil : $0 } ?? options.pendingDigests?.ifReady
    let pending = options.pendingDigests ?? known.map { PendingDigests(ready: $0) } ?? PendingDigests(file: file)
    // S3 allows 10,000 parts: grow the part size for very large files.
    var partSize = max(configuration.partSize, 5 << 20)
    while (size + partSize - 1) / partSize > 10_000 { partSize *= 2 }
    let partCount = Int((size + partSize - 1) / partSize)

    let created = try send(
      "POST", target, query: "uploads",
      headers: objectHeaders(options, sha256: known?.sha256) + [("x-amz-checksum-algorithm", "SHA256")])
    guard let uploadId = XMLScanner(created.body).text("UploadId") else {
      throw AWSServiceError(
        code: "MalformedResponse", message: "CreateMultipartUpload answered without an UploadId", status: 500,
        resource: target.location.description)
    }
    let uploadQuery = "uploadId=" + HTTPEncoding.query(uploadId)
    let parts = PartResults(count: partCount)
    do {
      let errors = ParallelWork.run(count: partCount, width: configuration.concurrency, stopOnFirstError: true) {
        index in
        if ShutdownSignal.shared.isRequested { throw Interrupted() }
        let offset = Int64(index) * partSize
        let length = min(partSize, size - offset)
        // Each part carries its SHA-256 as x-amz-checksum-sha256, which the server verifies; the payload itself is
        // left unsigned so that one hash pass per part suffices.
        let partDigests = try FileDigests.of(file, offset: offset, length: length, md5: false)
        let response = try self.send(
          "PUT", target, query: "partNumber=\(index + 1)&" + uploadQuery,
          headers: [("x-amz-checksum-sha256", partDigests.sha256.base64String)],
          body: .file(path: file, offset: offset, length: length), payloadSHA256: SigV4Signer.unsignedPayload)
        guard let etag = response.header("ETag") else {
          throw AWSServiceError(
            code: "MalformedResponse", message: "UploadPart \(index + 1) answered without an ETag", status: 500,
            resource: target.location.description)
        }
        parts.set(index, etag: etag, sha256: partDigests.sha256)
      }
      if let failure = errors.first(where: { $0 != nil && !($0 is ParallelWork.Skipped) }) { throw failure! }
      if ShutdownSignal.shared.isRequested { throw Interrupted() }
      let digests = try pending.wait()
      guard digests.bytes == size else {
        throw BlobIntegrityError(location: target.location, reason: "the file changed size while it was uploaded")
      }
      let body =
        "<CompleteMultipartUpload>"
        + (0..<partCount).map {
          "<Part><PartNumber>\($0 + 1)</PartNumber><ETag>\(XMLScanner.escape(parts.etags[$0]))</ETag>"
            + "<ChecksumSHA256>\(parts.sha256s[$0].base64String)</ChecksumSHA256></Part>"
        }.joined() + "</CompleteMultipartUpload>"
      let completed = try send(
        "POST", target, query: uploadQuery, headers: [("Content-Type", "application/xml")],
        body: .bytes(Array(body.utf8)))
      let answer = XMLScanner(completed.body)
      let etag = Self.unquoted(answer.text("ETag") ?? completed.header("ETag") ?? "")
      // S3's composite checksum is the SHA-256 of the parts' SHA-256s, then "-N": check it when the server says it.
      if let composite = answer.text("ChecksumSHA256"), composite.hasSuffix("-\(partCount)") {
        let expected = Digest.sha256(parts.sha256s.flatMap { $0 }).base64String + "-\(partCount)"
        guard composite == expected else {
          throw BlobIntegrityError(
            location: target.location, reason: "composite SHA-256 \(composite) is not \(expected)")
        }
      }
      if known == nil {
        var tags = options.allTags
        tags[BlobPutOptions.sha256Tag] = digests.sha256.hexString
        try setTags(tags, of: target.location)
      }
      return StoredBlob(location: target.location, bytes: size, etag: etag, sha256: digests.sha256.hexString)
    } catch {
      abort(target: target, uploadQuery: uploadQuery)
      throw error
    }
  }

  /// Best effort, retried: a failed abort leaves parts a lifecycle rule (AbortIncompleteMultipartUpload) clears.
  func abort(target: Target, uploadQuery: String) {
    _ = try? send("DELETE", target, query: uploadQuery, acceptNotFound: true, cleanup: true)
  }

  /// The multipart uploads still open under a prefix (tests prove a killed upload leaves none).
  public func openMultipartUploads(bucket: String, prefix: String = "") throws -> [String] {
    let response = try send(
      "GET", Target(bucket: bucket, key: ""), query: "prefix=" + HTTPEncoding.query(prefix) + "&uploads=")
    return XMLScanner(response.body).scanners("Upload").compactMap { $0.text("Key") }
  }
}

final class PartResults: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var etags: [String]
  private(set) var sha256s: [[UInt8]]

  init(count: Int) {
    etags = Array(repeating: "", count: count)
    sha256s = Array(repeating: [], count: count)
  }

  func set(_ index: Int, etag: String, sha256: [UInt8]) {
    lock.withLock {
      etags[index] = etag
      sha256s[index] = sha256
    }
  }
}
