import CliplineAWS
import CliplineCrypto
import CliplineHTTP
import CliplineRecords
import CliplineSystem
import Foundation

extension S3Store {
  /// CreateMultipartUpload, parts in parallel (each with its CRC-32C), CompleteMultipartUpload;
  /// any failure (or SIGTERM) aborts the upload so no parts are left behind and no object appears.
  /// One sequential pass hashes the parts (their checksums) and the whole file while the parts go; a SHA-256
  /// known beforehand (the record's) is checked against that pass before completion, since S3 only sees the parts.
  /// When it was not known at CreateMultipartUpload it is stored as a tag after completion.
  func putMultipart(file: String, size: Int64, target: Target, options: BlobPutOptions) throws -> StoredBlob {
    let known = options.knownDigests.flatMap { $0.sha256.isEmpty ? nil : $0 } ?? options.pendingDigests?.ifReady
    let (partSize, partCount) = parts(ofObject: size)
    let partDigests = PartDigests(file: file, partSize: partSize, size: size)
    let uploadQuery = try createMultipartUpload(
      target, headers: objectHeaders(options, sha256: known?.sha256) + Self.partChecksumAlgorithm)
    let parts = PartResults()
    do {
      let errors = ParallelWork.run(count: partCount, width: configuration.concurrency, stopOnFirstError: true) {
        index in
        if ShutdownSignal.shared.isRequested { throw StoppedBySignal() }
        let offset = Int64(index) * partSize
        let length = min(partSize, size - offset)
        try self.uploadPart(
          index, body: .file(path: file, offset: offset, length: length), checksum: try partDigests.part(index),
          target: target, uploadQuery: uploadQuery, into: parts)
      }
      if let failure = ParallelWork.firstFailure(errors) { throw failure }
      if ShutdownSignal.shared.isRequested { throw StoppedBySignal() }
      return try completeMultipart(
        target, uploadQuery: uploadQuery, parts: parts, digests: try partDigests.wholeFile(),
        sha256KnownAtCreation: known != nil, options: options)
    } catch {
      abort(target: target, uploadQuery: uploadQuery)
      throw error
    }
  }

  /// The checksum S3 checks every part against. CRC-32C, not SHA-256: the CPU's `crc32` instruction takes it at
  /// memory speed, and the one SHA-256 pass left is the whole object's (what records carry), which the store is
  /// held to by the composite answer, or by reading the object back.
  static let partChecksum: Digest.Algorithm = .crc32c
  static let partChecksumAlgorithm = [(name: "x-amz-checksum-algorithm", value: "CRC32C")]

  /// UploadPart: the part carries its CRC-32C as x-amz-checksum-crc32c, which the server verifies; the payload
  /// itself is left unsigned so that one checksum pass per part suffices.
  func uploadPart(
    _ index: Int, body: HTTPBody, checksum: [UInt8], target: Target, uploadQuery: String, into parts: PartResults
  ) throws {
    let response = try send(
      "PUT", target, query: "partNumber=\(index + 1)&" + uploadQuery,
      headers: [("x-amz-checksum-crc32c", checksum.base64String)], body: body,
      payloadSHA256: SigV4Signer.unsignedPayload)
    guard let etag = response.header("ETag") else {
      throw AWSServiceError(
        code: "MalformedResponse", message: "UploadPart \(index + 1) answered without an ETag", status: 500,
        resource: target.location.description)
    }
    parts.set(index, etag: etag, checksum: checksum)
  }

  /// The known digest checked against the bytes sent (S3 only saw the parts), CompleteMultipartUpload, its
  /// composite checksum checked (or, from a server that answers none, the object read back), and the SHA-256 stored
  /// as a tag when it was not known at CreateMultipartUpload (or left to the caller, `digestTagsByCaller`). Once the
  /// object exists, any failure removes it.
  func completeMultipart(
    _ target: Target, uploadQuery: String, parts: PartResults, digests: FileDigests, sha256KnownAtCreation: Bool,
    options: BlobPutOptions
  ) throws -> StoredBlob {
    try options.checkKnownDigest(digests, location: target.location)
    let answer = try completeMultipartUpload(target, uploadQuery: uploadQuery, parts: parts)
    let etag = Self.unquoted(answer.text("ETag") ?? "")
    let owed = sha256KnownAtCreation ? nil : digestTags(digests.sha256, etag: etag, options: options)
    do {
      try confirmWrite(
        target, etag: etag, sha256: digests.sha256,
        checkedByServer: try compositeChecked(answer.text("ChecksumCRC32C"), parts: parts, target: target))
      if let owed, !options.digestTagsByCaller { try setTags(owed, of: target.location) }
    } catch {
      try? delete(target.location)
      throw error
    }
    var stored = StoredBlob(
      location: target.location, bytes: digests.bytes, etag: etag, sha256: digests.sha256.hexString)
    if options.digestTagsByCaller { stored.digestTags = owed }
    return stored
  }

  /// S3's composite checksum is the CRC-32C of the parts' CRC-32Cs, then "-N": a server that answers it checked every
  /// part against the checksum sent with it. One that answers another is refused; one that answers none vouched for
  /// nothing.
  private func compositeChecked(_ composite: String?, parts: PartResults, target: Target) throws -> Bool {
    let checksums = parts.checksums
    guard let composite, composite.hasSuffix("-\(checksums.count)"), !checksums.contains(where: \.isEmpty) else {
      return false
    }
    let expected = Digest.crc32c(checksums.flatMap { $0 }).base64String + "-\(checksums.count)"
    guard composite == expected else {
      throw BlobIntegrityError(location: target.location, reason: "composite CRC-32C \(composite) is not \(expected)")
    }
    return true
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

  /// CompleteMultipartUpload with every part in order (and its CRC-32C where the parts were uploaded with one).
  func completeMultipartUpload(_ target: Target, uploadQuery: String, parts: PartResults) throws -> XMLScanner {
    let (etags, checksums) = (parts.etags, parts.checksums)
    let body =
      "<CompleteMultipartUpload>"
      + etags.indices.map { index in
        let checksum =
          checksums[index].isEmpty ? "" : "<ChecksumCRC32C>\(checksums[index].base64String)</ChecksumCRC32C>"
        return "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(XMLScanner.escape(etags[index]))</ETag>"
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

/// Each part's ETag and checksum, set by the part uploads on the pool's threads. `lock` guards both lists.
final class PartResults: @unchecked Sendable {
  private let lock = NSLock()
  private var storedETags: [String] = []
  private var storedChecksums: [[UInt8]] = []

  var etags: [String] { lock.withLock { storedETags } }
  var checksums: [[UInt8]] { lock.withLock { storedChecksums } }

  /// Part `index`'s answer; parts may finish in any order (and a streamed upload's count is known only at its end).
  func set(_ index: Int, etag: String, checksum: [UInt8]) {
    lock.withLock {
      while storedETags.count <= index {
        storedETags.append("")
        storedChecksums.append([])
      }
      storedETags[index] = etag
      storedChecksums[index] = checksum
    }
  }
}
