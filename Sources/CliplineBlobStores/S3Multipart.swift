import CliplineAWS
import CliplineHTTP
import CliplineHashing
import CliplineRecords
import CliplineSystem
import Foundation

extension S3Store {
  /// CreateMultipartUpload, parts in parallel (each with its own MD5 and signed SHA-256), CompleteMultipartUpload;
  /// any failure (or SIGTERM) aborts the upload so no parts are left behind and no object appears.
  /// One sequential pass hashes the parts (their checksums) and the whole file while the parts go; a SHA-256
  /// known beforehand (the record's) is checked against that pass before completion, since S3 only sees the parts.
  /// When it was not known at CreateMultipartUpload it is stored as a tag after completion.
  func putMultipart(file: String, size: Int64, target: Target, options: BlobPutOptions) throws -> StoredBlob {
    let known = options.knownDigests.flatMap { $0.sha256.isEmpty ? nil : $0 } ?? options.pendingDigests?.ifReady
    let (partSize, partCount) = parts(ofObject: size)
    let partDigests = PartDigests(file: file, partSize: partSize, size: size)
    let uploadQuery = try createMultipartUpload(
      target, headers: objectHeaders(options, sha256: known?.sha256) + [("x-amz-checksum-algorithm", "SHA256")])
    let parts = PartResults(count: partCount)
    do {
      let errors = ParallelWork.run(count: partCount, width: configuration.concurrency, stopOnFirstError: true) {
        index in
        if ShutdownSignal.shared.isRequested { throw StoppedBySignal() }
        let offset = Int64(index) * partSize
        let length = min(partSize, size - offset)
        // Each part carries its SHA-256 as x-amz-checksum-sha256, which the server verifies; the payload itself is
        // left unsigned so that one hash pass per part suffices.
        let partSHA256 = try partDigests.part(index)
        let response = try self.send(
          "PUT", target, query: "partNumber=\(index + 1)&" + uploadQuery,
          headers: [("x-amz-checksum-sha256", partSHA256.base64String)],
          body: .file(path: file, offset: offset, length: length), payloadSHA256: SigV4Signer.unsignedPayload)
        guard let etag = response.header("ETag") else {
          throw AWSServiceError(
            code: "MalformedResponse", message: "UploadPart \(index + 1) answered without an ETag", status: 500,
            resource: target.location.description)
        }
        parts.set(index, etag: etag, sha256: partSHA256)
      }
      if let failure = errors.first(where: { $0 != nil && !($0 is ParallelWork.Skipped) }) { throw failure! }
      if ShutdownSignal.shared.isRequested { throw StoppedBySignal() }
      let digests = try partDigests.wholeFile()
      try options.checkKnownDigest(digests, location: target.location)
      let answer = try completeMultipartUpload(target, uploadQuery: uploadQuery, parts: parts)
      let etag = Self.unquoted(answer.text("ETag") ?? "")
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

  /// The part size for an object of `size` (the configured one, grown so S3's 10,000-part limit holds) and the
  /// number of parts.
  func parts(ofObject size: Int64) -> (size: Int64, count: Int) {
    var partSize = max(configuration.partSize, 5 << 20)
    while (size + partSize - 1) / partSize > 10_000 { partSize *= 2 }
    return (partSize, Int((size + partSize - 1) / partSize))
  }

  /// CreateMultipartUpload; returns the `uploadId=…` query its parts, completion and abort use.
  func createMultipartUpload(_ target: Target, headers: [(name: String, value: String)]) throws -> String {
    let created = try send("POST", target, query: "uploads", headers: headers)
    guard let uploadId = XMLScanner(created.body).text("UploadId") else {
      throw AWSServiceError(
        code: "MalformedResponse", message: "CreateMultipartUpload answered without an UploadId", status: 500,
        resource: target.location.description)
    }
    return "uploadId=" + HTTPEncoding.query(uploadId)
  }

  /// CompleteMultipartUpload with every part in order (and its SHA-256 where the parts were uploaded with one).
  func completeMultipartUpload(_ target: Target, uploadQuery: String, parts: PartResults) throws -> XMLScanner {
    let body =
      "<CompleteMultipartUpload>"
      + parts.etags.indices.map { index in
        let checksum =
          parts.sha256s[index].isEmpty
          ? "" : "<ChecksumSHA256>\(parts.sha256s[index].base64String)</ChecksumSHA256>"
        return "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(XMLScanner.escape(parts.etags[index]))</ETag>"
          + checksum + "</Part>"
      }.joined() + "</CompleteMultipartUpload>"
    let completed = try send(
      "POST", target, query: uploadQuery, headers: [("Content-Type", "application/xml")], body: .bytes(Array(body.utf8))
    )
    return XMLScanner(completed.body)
  }

  /// Best effort, and checked: the retry policy stops retrying once SIGTERM is in (which is when most aborts run),
  /// and a part the server was still receiving can reopen the upload after a first abort; so the abort is repeated
  /// until the upload is no longer listed, three times at most. What is still left, a lifecycle rule
  /// (AbortIncompleteMultipartUpload) clears.
  func abort(target: Target, uploadQuery: String) {
    let uploadId = String(uploadQuery.dropFirst("uploadId=".count))
    for _ in 0..<3 {
      _ = try? send("DELETE", target, query: uploadQuery, acceptNotFound: true, cleanup: true)
      guard
        let open = try? send(
          "GET", Target(bucket: target.bucket, key: ""),
          query: "prefix=" + HTTPEncoding.query(target.key) + "&uploads=", cleanup: true)
      else { return }
      let ids = XMLScanner(open.body).scanners("Upload").compactMap { $0.text("UploadId") }
      if !ids.contains(where: { HTTPEncoding.query($0) == uploadId }) { return }
    }
  }

  /// The multipart uploads still open under a prefix (tests prove a killed upload leaves none).
  public func openMultipartUploads(bucket: String, prefix: String = "") throws -> [String] {
    let response = try send(
      "GET", Target(bucket: bucket, key: ""), query: "prefix=" + HTTPEncoding.query(prefix) + "&uploads=")
    return XMLScanner(response.body).scanners("Upload").compactMap { $0.text("Key") }
  }
}

/// Each part's ETag and SHA-256, set by the part uploads on the pool's threads. `lock` guards `etags` and `sha256s`
/// while they are set; they are read unlocked only after `ParallelWork.run` has joined every upload.
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
