import CliplineAWS
import CliplineCrypto
import CliplineHTTP
import CliplineRecords
import CliplineSystem
import Foundation

/// S3 (and S3-compatible servers) over libcurl with SigV4: uploads streamed from disk with a checksum the server
/// verifies, multipart in parallel above a threshold, downloads streamed (in parallel ranges when large).
public final class S3Store: CloudBlobStore, Sendable {
  public let configuration: S3Configuration
  let pool: HTTPClientPool

  public init(configuration: S3Configuration) {
    self.configuration = configuration
    var options = HTTPClient.Options()
    options.caFile = configuration.caBundle
    pool = HTTPClientPool(options: options)
  }

  // MARK: - Requests

  struct Target {
    let bucket: String
    let key: String
    var location: BlobLocation { .s3(bucket: bucket, key: key) }
  }

  func target(_ location: BlobLocation) throws -> Target {
    guard case .s3(let bucket, let key) = location else { throw UnsupportedLocation(location: location) }
    return Target(bucket: bucket, key: key)
  }

  /// Signs (again for every attempt: fresh date, refreshed credentials) and sends, retrying what may pass.
  func send(
    _ method: String, _ target: Target, query: String? = nil, headers: [(name: String, value: String)] = [],
    body: HTTPBody = .none, payloadSHA256: String? = nil, to destination: () -> ResponseDestination = { .memory },
    acceptNotFound: Bool = false, cleanup: Bool = false, retrying: Bool = true
  ) throws -> HTTPResponse {
    let url = configuration.url(bucket: target.bucket, key: target.key, query: query)
    let resource = target.key.isEmpty ? "s3://\(target.bucket)" : "s3://\(target.bucket)/\(target.key)"
    let retryable: (Error) -> Bool = { retrying && (cleanup || isRetryableAWSFailure($0)) }
    return try configuration.retry.run(isRetryable: retryable) { _ in
      let credentials = try configuration.credentials.credentials()
      var request = HTTPRequest(method: method, url: url, headers: headers, body: body, timeout: cleanup ? 30 : nil)
      request.continuesDuringShutdown = cleanup
      SigV4Signer(credentials: credentials, region: configuration.region, service: "s3")
        .sign(&request, payloadSHA256: payloadSHA256)
      let response = try pool.with { try $0.send(request, to: destination()) }
      if acceptNotFound, response.status == 404 { return response }
      // CompleteMultipartUpload, CopyObject and UploadPartCopy can answer 200 with an <Error> body.
      let mayHideAnError = method == "POST" || headers.contains { $0.name == "x-amz-copy-source" }
      if response.isSuccess, mayHideAnError, response.bodyText.contains("<Error>") {
        throw AWSServiceError(status: 500, headers: response.headers, body: response.body, resource: resource)
      }
      return try response.checkedAWS(resource: resource)
    }
  }

  // MARK: - BlobStore

  public func put(_ body: BlobBody, to location: BlobLocation, options: BlobPutOptions) throws -> StoredBlob {
    switch body {
    case .file(let file): return try put(file: file, to: location, options: options)
    case .memory(let bytes): return try put(memory: bytes, to: location, options: options)
    }
  }

  func put(file: String, to location: BlobLocation, options: BlobPutOptions) throws -> StoredBlob {
    let target = try self.target(location)
    let size = try localFileSize(file)
    do {
      if size >= configuration.multipartThreshold && size > configuration.partSize {
        return try putMultipart(file: file, size: size, target: target, options: options)
      }
      return try putSingle(file: file, target: target, options: options)
    } catch let error as MissingLocalFile {
      throw error
    } catch let error as BlobIntegrityError {
      throw error
    } catch {
      throw BlobStoreError("upload to", location, error)
    }
  }

  func objectHeaders(_ options: BlobPutOptions, sha256: [UInt8]?) -> [(name: String, value: String)] {
    var headers: [(name: String, value: String)] = [("Content-Type", options.contentType ?? "application/octet-stream")]
    if let sha256 { headers.append(("x-amz-meta-sha256", sha256.hexString)) }
    let tags = options.allTags
    if !tags.isEmpty { headers.append(("x-amz-tagging", HTTPEncoding.form(tags))) }
    if let expiresAt = options.expiresAt { headers.append(("Expires", HTTPEncoding.httpDate(expiresAt))) }
    return headers
  }

  func putSingle(file: String, target: Target, options: BlobPutOptions) throws -> StoredBlob {
    let digests = try options.sha256Digests(file)
    return try putObject(
      .file(path: file, offset: 0, length: digests.bytes), digests: digests, target: target, options: options)
  }

  /// One PutObject of a file or of bytes in memory whose SHA-256 is known.
  func putObject(_ body: HTTPBody, digests: FileDigests, target: Target, options: BlobPutOptions) throws -> StoredBlob {
    var headers = objectHeaders(options, sha256: digests.sha256)
    // The server checks the SHA-256 of what arrived (x-amz-checksum-sha256); AWS also checks the signed one.
    headers.append(("x-amz-checksum-sha256", digests.sha256.base64String))
    let response = try send("PUT", target, headers: headers, body: body, payloadSHA256: digests.sha256.hexString)
    let etag = Self.unquoted(response.header("ETag") ?? "")
    try confirmWrite(target, etag: etag, sha256: digests.sha256, echoed: response.header("x-amz-checksum-sha256"))
    return StoredBlob(location: target.location, bytes: digests.bytes, etag: etag, sha256: digests.sha256.hexString)
  }

  public func get(_ location: BlobLocation, to path: String) throws -> BlobInfo {
    let target = try self.target(location)
    let download = VerifiedDownload(
      rangeSize: configuration.partSize, threshold: configuration.multipartThreshold,
      width: configuration.concurrency, rangeHeader: "Range")
    return try download.get(
      location, to: path, head: { try head(location) },
      missing: { AWSServiceError(code: "NoSuchKey", message: "no such object", status: 404, resource: "\(location)") },
      send: { headers, destination in _ = try self.send("GET", target, headers: headers, to: destination) })
  }

  public func head(_ location: BlobLocation) throws -> BlobInfo? {
    let target = try self.target(location)
    let response = try send("HEAD", target, acceptNotFound: true)
    if response.status == 404 { return nil }
    let bytes = Int64(response.header("Content-Length") ?? "") ?? 0
    let etag = response.header("ETag").map(Self.unquoted)
    var sha256 = response.header("x-amz-meta-sha256")
    // A multipart upload whose hash was still running at CreateMultipartUpload carries it as a tag, and so does a
    // PUT sent while its body arrived (its checksum was a trailer).
    if sha256 == nil {
      sha256 = try recordedDigestTag(of: location, etag: etag)
    }
    return BlobInfo(
      location: location, bytes: bytes, etag: etag,
      expiresAt: response.header("Expires").flatMap(HTTPEncoding.parseHTTPDate), sha256: sha256)
  }

  /// The `clipline-sha256` tag; nil when the object has none, when the tag describes another object (its
  /// `clipline-sha256-etag` is not this object's ETag: a second writer completed before the first one's tags
  /// arrived), or when tags cannot be read here at all (no s3:GetObjectTagging permission, a service without
  /// tagging). Any other failure throws: a download must not go unverified because the request that tells its
  /// digest failed.
  private func recordedDigestTag(of location: BlobLocation, etag: String?) throws -> String? {
    do {
      let tags = try tags(of: location)
      if let describes = tags[BlobPutOptions.sha256ETagTag], describes != etag { return nil }
      return tags[BlobPutOptions.sha256Tag]
    } catch let error as AWSServiceError where Self.tagsUnavailable.contains(error.code) {
      return nil
    }
  }

  private static let tagsUnavailable: Set<String> = ["AccessDenied", "NotImplemented", "MethodNotAllowed"]

  public func delete(_ location: BlobLocation) throws {
    let target = try self.target(location)
    do {
      _ = try send("DELETE", target, acceptNotFound: true)
    } catch {
      throw BlobStoreError("delete of", location, error)
    }
  }

  public func presignedURL(for location: BlobLocation, method: PresignMethod, expires: TimeInterval) throws -> String {
    let target = try self.target(location)
    let credentials = try configuration.credentials.credentials()
    return SigV4Signer(credentials: credentials, region: configuration.region, service: "s3").presignedURL(
      method: method.rawValue, url: configuration.url(bucket: target.bucket, key: target.key), expires: expires)
  }

  public func list(prefix location: BlobLocation) throws -> [BlobInfo] {
    let target = try self.target(location)
    return try listPages { continuation in
      var query = "list-type=2&prefix=" + HTTPEncoding.query(target.key)
      if let continuation { query += "&continuation-token=" + HTTPEncoding.query(continuation) }
      let xml = XMLScanner(try send("GET", Target(bucket: target.bucket, key: ""), query: query).body)
      let items = xml.scanners("Contents").compactMap { item in
        item.text("Key").map {
          BlobInfo(
            location: .s3(bucket: target.bucket, key: $0), bytes: Int64(item.text("Size") ?? "") ?? 0,
            etag: item.text("ETag").map(Self.unquoted))
        }
      }
      return (items, xml.text("IsTruncated") == "true" ? xml.text("NextContinuationToken") : nil)
    }
  }

  // MARK: - Tags

  public func tags(of location: BlobLocation) throws -> [String: String] {
    let response = try send("GET", try target(location), query: "tagging")
    return try TagSetXML.parse(response.body, resource: location.description)
  }

  public func setTags(_ tags: [String: String], of location: BlobLocation) throws {
    let body =
      "<Tagging>" + TagSetXML.tagSet(tags) + "</Tagging>"
    let bytes = Array(body.utf8)
    _ = try send(
      "PUT", try target(location), query: "tagging",
      headers: [("Content-Type", "application/xml"), ("Content-MD5", Digest.md5(bytes).base64String)],
      body: .bytes(bytes))
  }

  // MARK: - Buckets (tests and the demo)

  public func createBucket(_ bucket: String) throws {
    do {
      _ = try send("PUT", Target(bucket: bucket, key: ""))
    } catch let error as AWSServiceError
      where error.code == "BucketAlreadyOwnedByYou" || error.code == "BucketAlreadyExists"
    {
      return
    }
  }

  static func unquoted(_ etag: String) -> String { etag.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
}
