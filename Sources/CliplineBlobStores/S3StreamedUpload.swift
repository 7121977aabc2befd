import CliplineAWS
import CliplineCrypto
import CliplineHTTP
import CliplineSystem
import Foundation

extension S3Store {
  /// A body streamed in as it arrives: one PutObject from memory when it ends below the multipart threshold, else a
  /// multipart upload whose parts go as they fill; a failure or `abort()` aborts it, so nothing is left behind.
  public func openUpload(to location: BlobLocation, options: BlobPutOptions) throws -> BlobUploadStream {
    let backend = S3StreamedParts(store: self, target: try target(location), options: options)
    return try PartedUploadStream(
      backend: backend, location: location, partSize: configuration.partSize,
      threshold: configuration.multipartThreshold, concurrency: configuration.concurrency,
      known: options.knownDigests?.sha256)
  }
}

/// S3's half of a streamed upload; errors name the object, as `put(file:)`'s do.
// `uploadQuery` is set once, by `begin`, before any part is submitted; `parts` has its own lock.
final class S3StreamedParts: PartedUploadBackend, @unchecked Sendable {
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

  func putWhole(file: String, range: Range<Int64>, digests: FileDigests) throws -> StoredBlob {
    try options.checkKnownDigest(digests, location: target.location)
    let body = HTTPBody.file(path: file, offset: range.lowerBound, length: Int64(range.count))
    return try named { try store.putObject(body, digests: digests, target: target, options: options) }
  }

  func begin() throws {
    let known = options.knownDigests.flatMap { $0.sha256.isEmpty ? nil : $0.sha256 }
    uploadQuery = try named {
      try store.createMultipartUpload(
        target, headers: store.objectHeaders(options, sha256: known) + S3Store.partChecksumAlgorithm)
    }
  }

  func putPart(_ index: Int, _ bytes: [UInt8]) throws {
    try named {
      try store.uploadPart(
        index, body: .bytes(bytes), checksum: Digest.crc32c(bytes), target: target, uploadQuery: try begun(),
        into: parts)
    }
  }

  func putPart(_ index: Int, file: String, range: Range<Int64>, checksum: [UInt8]?) throws {
    let checksum = try checksum ?? FileDigests.checksum(S3Store.partChecksum, of: file, range: range)
    try named {
      try store.uploadPart(
        index, body: .file(path: file, offset: range.lowerBound, length: Int64(range.count)), checksum: checksum,
        target: target, uploadQuery: try begun(), into: parts)
    }
  }

  func complete(parts count: Int, digests: FileDigests) throws -> StoredBlob {
    try named {
      try store.completeMultipart(
        target, uploadQuery: try begun(), parts: parts, digests: digests,
        sha256KnownAtCreation: options.knownDigests?.sha256.isEmpty == false, options: options)
    }
  }

  /// The upload `begin` created; parts and completion come only after it.
  private func begun() throws -> String {
    guard let uploadQuery else { throw UploadOutOfOrder("a part came before its multipart upload was created") }
    return uploadQuery
  }

  func abort() {
    if let uploadQuery { store.abort(target: target, uploadQuery: uploadQuery) }
  }
}

extension S3StreamedParts {
  /// Up to S3's single-PUT limit, a body of known length goes in one PutObject sent while it arrives.
  func streamedPut(bytes: Int64) throws -> StreamedPut? {
    guard bytes > 0, bytes <= 5 << 30 else { return nil }
    return S3StreamedPut(store: store, target: target, options: options, bytes: bytes)
  }
}

/// PutObject with `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: the request starts at once on its own thread, its body the
/// bytes written as they arrive (aws-chunked), its `x-amz-checksum-sha256` a trailer the server checks. A body of
/// that kind cannot be sent twice, so the request is not retried (the task is, by whoever runs it: 75). The
/// SHA-256 is stored as the `clipline-sha256` tag afterwards, as for a multipart upload.
final class S3StreamedPut: StreamedPut {
  let store: S3Store
  let target: S3Store.Target
  let options: BlobPutOptions
  let body: AWSChunkedBody
  private let request = ThreadPool(width: 1)
  /// The request's job holds this, not `self`: the upload is released on its caller's thread.
  private let outcome = RequestOutcome()

  init(store: S3Store, target: S3Store.Target, options: BlobPutOptions, bytes: Int64) {
    self.store = store
    self.target = target
    self.options = options
    body = AWSChunkedBody(decodedLength: bytes)
    var headers = store.objectHeaders(options, sha256: nil)
    headers += [("x-amz-decoded-content-length", String(bytes)), ("x-amz-trailer", AWSChunkedBody.trailerName)]
    // AWS asks for it and does not store it; an S3-compatible server may keep it as the object's encoding (SeaweedFS
    // does), which HTTP clients then refuse to decode. The payload kind already says the body is aws-chunked.
    if store.configuration.isAWS { headers.append(("Content-Encoding", "aws-chunked")) }
    let length = body.encodedLength
    request.submit { [store, target, headers, body, outcome] in
      let result = Result {
        try namingUploadFailure(target.location) {
          try store.send(
            "PUT", target, headers: headers, body: .stream(length: length, source: body),
            payloadSHA256: "STREAMING-UNSIGNED-PAYLOAD-TRAILER", retrying: false)
        }
      }
      // A request that ended early (refused, cut) must stop the writer, which may be waiting for room.
      if case .failure(let error) = result { body.fail(error) }
      outcome.set(result)
    }
  }

  func write(_ bytes: UnsafeRawBufferPointer) throws { try body.write(bytes) }

  func finish(_ digests: FileDigests) throws -> StoredBlob {
    try options.checkKnownDigest(digests, location: target.location)
    try body.finish(sha256Base64: digests.sha256.base64String)
    let response = try waitForRequest().get()
    let etag = S3Store.unquoted(response.header("ETag") ?? "")
    do {
      try store.confirmWrite(
        target, etag: etag, sha256: digests.sha256, echoed: response.header("x-amz-checksum-sha256"))
      try namingUploadFailure(target.location) {
        try store.setTags(store.digestTags(digests.sha256, etag: etag, options: options), of: target.location)
      }
    } catch {
      // The object is there but not as promised (unverified, or without its SHA-256): it goes.
      try? store.delete(target.location)
      throw error
    }
    return StoredBlob(location: target.location, bytes: digests.bytes, etag: etag, sha256: digests.sha256.hexString)
  }

  /// The request fails at its next read; a PUT that never completed leaves no object.
  func abort() {
    body.fail(StoppedBySignal("(the upload was abandoned)"))
    _ = waitForRequest()
  }

  private func waitForRequest() -> Result<HTTPResponse, Error> { outcome.wait() }
}

/// A request's result, set once by its thread and waited for by the caller (any number of times).
final class RequestOutcome: @unchecked Sendable {  // `stored` is written once, before `done` is signalled
  private let done = DispatchSemaphore(value: 0)
  private var stored: Result<HTTPResponse, Error> = .failure(UploadOutOfOrder("the request's result was never set"))

  func set(_ result: Result<HTTPResponse, Error>) {
    stored = result
    done.signal()
  }

  func wait() -> Result<HTTPResponse, Error> {
    done.wait()
    done.signal()
    return stored
  }
}
