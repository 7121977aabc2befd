import CliplineAWS
import CliplineCrypto
import CliplineHTTP
import CliplineRecords
import CliplineSystem
import Foundation

/// Azure Blob Storage (`az://account/container/blob`) over libcurl: Put Blob, or Put Block in parallel +
/// Put Block List for large files (blocks never listed are discarded by the service: no partial blob appears),
/// Get Blob (parallel `x-ms-range` reads when large), Delete Blob, blob index tags, SAS URLs.
public final class AzureBlobStore: CloudBlobStore, Sendable {
  public let configuration: AzureConfiguration
  let pool = HTTPClientPool()

  public init(configuration: AzureConfiguration) { self.configuration = configuration }

  struct Target {
    let account: String
    let container: String
    let blob: String?
    var location: BlobLocation { .azure(account: account, container: container, blob: blob ?? "") }
    var description: String { "az://\(account)/\(container)" + (blob.map { "/" + $0 } ?? "") }
  }

  func target(_ location: BlobLocation) throws -> Target {
    guard case .azure(let account, let container, let blob) = location else {
      throw UnsupportedLocation(location: location)
    }
    return Target(account: account, container: container, blob: blob)
  }

  func send(
    _ method: String, _ target: Target, query: String? = nil, headers: [(name: String, value: String)] = [],
    body: HTTPBody = .none, to destination: () -> ResponseDestination = { .memory }, acceptNotFound: Bool = false
  ) throws -> HTTPResponse {
    var fullQuery = query
    if case .sas(let token) = configuration.credential {
      fullQuery = [query, token].compactMap { $0 }.joined(separator: "&")
    }
    let url = configuration.url(
      account: target.account, container: target.container, blob: target.blob, query: fullQuery)
    return try configuration.retry.run(isRetryable: isRetryableAzureFailure) { _ in
      var request = HTTPRequest(method: method, url: url, headers: headers, body: body)
      request.setHeader("x-ms-date", HTTPEncoding.httpDate(Date()))
      request.setHeader("x-ms-version", AzureConfiguration.apiVersion)
      if case .sharedKey(let account, let key) = configuration.credential {
        guard account == target.account else {
          throw AzureConfiguration.InvalidConfiguration(
            reason: "the key configured is for account \"\(account)\", not \"\(target.account)\"")
        }
        var signed = request.headers
        let length = try body.length()
        if length > 0 || method == "PUT" { signed.append(("Content-Length", String(length))) }
        request.setHeader(
          "Authorization",
          AzureSharedKeySigner(account: account, key: key).authorization(
            method: method, url: url, headers: signed))
      }
      let response = try pool.with { try $0.send(request, to: destination()) }
      if acceptNotFound, response.status == 404 { return response }
      guard response.isSuccess else { throw AzureServiceError(response: response, resource: target.description) }
      return response
    }
  }

  // MARK: - BlobStore

  public func put(_ body: BlobBody, to location: BlobLocation, options: BlobPutOptions) throws -> StoredBlob {
    switch body {
    case .file(let file): return try put(file: file, to: location, options: options)
    case .memory(let bytes): return try putStreamed(bytes, to: location, options: options)
    }
  }

  func put(file: String, to location: BlobLocation, options: BlobPutOptions) throws -> StoredBlob {
    let target = try self.target(location)
    let size = try localFileSize(file)
    do {
      if size >= configuration.blockThreshold && size > configuration.blockSize {
        return try putBlocks(file: file, size: size, target: target, options: options)
      }
      // Azure verifies Content-MD5 (the one digest S3 does not need) but not a SHA-256: both come from one pass
      // over the bytes (unless another destination's pass already has the SHA-256), and a known SHA-256 must match.
      let shared = options.pendingDigests?.ifReady
      var digests = try FileDigests.of(file, sha256: shared == nil, md5: true)
      if let shared { digests = digests.merged(shared) }
      return try putBlob(
        .file(path: file, offset: 0, length: digests.bytes), digests: digests, target: target, options: options)
    } catch let error as MissingLocalFile {
      throw error
    } catch {
      throw BlobStoreError("upload to", location, error)
    }
  }

  /// One Put Blob of a file or of bytes in memory whose SHA-256 and MD5 are known (Azure checks the MD5).
  func putBlob(_ body: HTTPBody, digests: FileDigests, target: Target, options: BlobPutOptions) throws -> StoredBlob {
    try options.checkKnownDigest(digests, location: target.location)
    var headers = blobHeaders(options, digests: digests, prefix: "")
    headers += [("x-ms-blob-type", "BlockBlob"), ("Content-MD5", digests.md5.base64String)]
    let response = try send("PUT", target, headers: headers, body: body)
    return StoredBlob(
      location: target.location, bytes: digests.bytes, etag: S3Store.unquoted(response.header("ETag") ?? ""),
      sha256: digests.sha256.hexString)
  }

  /// Content type, metadata and tags: on Put Blob as themselves, on Put Block List as `x-ms-blob-…`.
  func blobHeaders(_ options: BlobPutOptions, digests: FileDigests, prefix: String) -> [(name: String, value: String)] {
    var headers: [(name: String, value: String)] = [
      (prefix.isEmpty ? "Content-Type" : "x-ms-blob-content-type", options.contentType ?? "application/octet-stream"),
      ("x-ms-meta-sha256", digests.sha256.hexString),
    ]
    let tags = options.allTags
    if !tags.isEmpty { headers.append(("x-ms-tags", HTTPEncoding.form(tags))) }
    if let expiresAt = options.expiresAt {
      headers.append(("x-ms-meta-expires_at", RFC3339.format(expiresAt, fractionalDigits: 0)))
    }
    return headers
  }

  /// The whole-file SHA-256 (metadata, set at commit) is hashed while the blocks go.
  func putBlocks(file: String, size: Int64, target: Target, options: BlobPutOptions) throws -> StoredBlob {
    let pending = options.pendingDigests ?? PendingDigests(file: file)
    pending.start()
    let blockSize = configuration.blockSize
    let count = Int((size + blockSize - 1) / blockSize)
    let ids = Self.blockIDs(nonce: Self.blockNonce(), from: 0, count: count)
    let errors = ParallelWork.run(count: count, width: configuration.concurrency, stopOnFirstError: true) { index in
      if ShutdownSignal.shared.isRequested { throw StoppedBySignal() }
      let offset = Int64(index) * blockSize
      let length = min(blockSize, size - offset)
      let blockDigests = try FileDigests.of(file, offset: offset, length: length, sha256: false)
      try self.putBlock(
        ids[index], body: .file(path: file, offset: offset, length: length), md5: blockDigests.md5, target: target)
    }
    if let failure = ParallelWork.firstFailure(errors) { throw failure }
    if ShutdownSignal.shared.isRequested { throw StoppedBySignal() }
    return try commitBlocks(ids, digests: try pending.wait(), target: target, options: options)
  }

  /// Put Block, with the MD5 Azure checks.
  func putBlock(_ id: String, body: HTTPBody, md5: [UInt8], target: Target) throws {
    _ = try send(
      "PUT", target, query: "comp=block&blockid=" + HTTPEncoding.query(id),
      headers: [("Content-MD5", md5.base64String)],
      body: body)
  }

  /// Block ids must all have the same length; a per-upload nonce keeps a concurrent writer's blocks apart.
  static func blockIDs(nonce: String, from: Int, count: Int) -> [String] {
    (from..<(from + count)).map { Data("\(nonce)-\(String(format: "%06d", $0))".utf8).base64EncodedString() }
  }

  static func blockNonce() -> String { String(format: "%08x", UInt32.random(in: 0...UInt32.max)) }

  /// Put Block List: the blocks become the blob, with its metadata and tags, once its SHA-256 is checked.
  func commitBlocks(_ ids: [String], digests: FileDigests, target: Target, options: BlobPutOptions) throws
    -> StoredBlob
  {
    try options.checkKnownDigest(digests, location: target.location)
    let list =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>"
      + ids.map { "<Latest>\($0)</Latest>" }.joined() + "</BlockList>"
    let bytes = Array(list.utf8)
    var headers = blobHeaders(options, digests: digests, prefix: "x-ms-blob-")
    if !digests.md5.isEmpty { headers.append(("x-ms-blob-content-md5", digests.md5.base64String)) }
    headers += [("Content-Type", "application/xml"), ("Content-MD5", Digest.md5(bytes).base64String)]
    let response = try send("PUT", target, query: "comp=blocklist", headers: headers, body: .bytes(bytes))
    return StoredBlob(
      location: target.location, bytes: digests.bytes, etag: S3Store.unquoted(response.header("ETag") ?? ""),
      sha256: digests.sha256.hexString)
  }

  public func get(_ location: BlobLocation, to path: String) throws -> BlobInfo {
    let target = try self.target(location)
    let download = VerifiedDownload(
      rangeSize: configuration.blockSize, threshold: configuration.blockThreshold, width: configuration.concurrency,
      rangeHeader: "x-ms-range")
    return try download.get(
      location, to: path, head: { try head(location) },
      missing: {
        AzureServiceError(status: 404, code: "BlobNotFound", message: "no such blob", resource: target.description)
      },
      send: { headers, destination in _ = try self.send("GET", target, headers: headers, to: destination) })
  }

  public func head(_ location: BlobLocation) throws -> BlobInfo? {
    let response = try send("HEAD", try target(location), acceptNotFound: true)
    if response.status == 404 { return nil }
    return BlobInfo(
      location: location, bytes: Int64(response.header("Content-Length") ?? "") ?? 0,
      etag: response.header("ETag").map(S3Store.unquoted),
      expiresAt: response.header("x-ms-meta-expires_at").flatMap(RFC3339.parse),
      sha256: response.header("x-ms-meta-sha256"))
  }

  public func delete(_ location: BlobLocation) throws {
    do {
      _ = try send("DELETE", try target(location), acceptNotFound: true)
    } catch {
      throw BlobStoreError("delete of", location, error)
    }
  }

  /// A blob URL with a service SAS (read, or create+write) signed with the account key; with a SAS-only
  /// configuration, the configured token itself.
  public func presignedURL(for location: BlobLocation, method: PresignMethod, expires: TimeInterval) throws -> String {
    let target = try self.target(location)
    let base = configuration.url(account: target.account, container: target.container, blob: target.blob)
    switch configuration.credential {
    case .sharedKey(let account, let key):
      let sas = AzureSharedKeySigner(account: account, key: key).blobSAS(
        container: target.container, blob: target.blob ?? "", permissions: method == .get ? "r" : "cw",
        expiry: Date().addingTimeInterval(min(expires, SigV4Signer.maximumPresignedLifetime)))
      return base + "?" + sas
    case .sas(let token):
      return base + "?" + token
    case .none:
      throw AzureConfiguration.InvalidConfiguration(
        reason: "a SAS URL needs an account key (AZURE_STORAGE_KEY or a connection string with AccountKey)")
    }
  }

  public func list(prefix location: BlobLocation) throws -> [BlobInfo] {
    let target = try self.target(location)
    let container = Target(account: target.account, container: target.container, blob: nil)
    return try listPages { marker in
      var query = "restype=container&comp=list&prefix=" + HTTPEncoding.query(target.blob ?? "")
      if let marker { query += "&marker=" + HTTPEncoding.query(marker) }
      let xml = XMLScanner(try send("GET", container, query: query).body)
      let items = xml.scanners("Blob").compactMap { blob in
        blob.text("Name").map {
          BlobInfo(
            location: .azure(account: target.account, container: target.container, blob: $0),
            bytes: Int64(blob.text("Content-Length") ?? "") ?? 0, etag: blob.text("Etag").map(S3Store.unquoted))
        }
      }
      return (items, xml.text("NextMarker"))
    }
  }

  // MARK: - Tags and containers

  public func tags(of location: BlobLocation) throws -> [String: String] {
    let response = try send("GET", try target(location), query: "comp=tags")
    return try TagSetXML.parse(response.body, resource: location.description)
  }

  public func setTags(_ tags: [String: String], of location: BlobLocation) throws {
    let body =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><Tags>" + TagSetXML.tagSet(tags) + "</Tags>"
    _ = try send(
      "PUT", try target(location), query: "comp=tags", headers: [("Content-Type", "application/xml")],
      body: .bytes(Array(body.utf8)))
  }

  /// Blocks put but not (yet) committed: what an interrupted block upload leaves (Get Block List).
  public func uncommittedBlockCount(of location: BlobLocation) throws -> Int {
    let response = try send("GET", try target(location), query: "comp=blocklist&blocklisttype=uncommitted")
    return XMLScanner(response.body).scanners("UncommittedBlocks").first?.elements("Block").count ?? 0
  }

  public func createContainer(account: String, container: String) throws {
    do {
      _ = try send("PUT", Target(account: account, container: container, blob: nil), query: "restype=container")
    } catch let error as AzureServiceError where error.code == "ContainerAlreadyExists" {
      return
    }
  }
}

/// An error answer from Azure Storage: its `x-ms-error-code` (or XML `<Code>`) and message.
public struct AzureServiceError: ExitStatusProviding, CustomStringConvertible, RetryAfterProviding {
  public let status: Int
  public let code: String
  public let message: String
  public let resource: String
  public let retryAfter: Double?

  public init(status: Int, code: String, message: String, resource: String, retryAfter: Double? = nil) {
    self.status = status
    self.code = code
    self.message = message
    self.resource = resource
    self.retryAfter = retryAfter
  }

  init(response: HTTPResponse, resource: String) {
    let xml = XMLScanner(response.body)
    self.init(
      status: response.status,
      code: response.header("x-ms-error-code") ?? xml.text("Code") ?? "HTTP\(response.status)",
      message: xml.text("Message")?.split(separator: "\n").first.map(String.init) ?? "HTTP \(response.status)",
      resource: resource, retryAfter: response.header("Retry-After").flatMap(Double.init))
  }

  public var description: String { "\(code) (HTTP \(status)) for \(resource): \(message)" }

  public var exitStatus: ExitStatus {
    switch code {
    case "AuthenticationFailed", "AuthorizationFailure", "AuthorizationPermissionMismatch",
      "InvalidAuthenticationInfo", "InsufficientAccountPermissions", "AuthorizationProtocolMismatch":
      return .permissionDenied
    case "BlobNotFound", "ContainerNotFound", "ResourceNotFound": return .noInput
    case "ServerBusy", "InternalError", "OperationTimedOut": return .temporaryFailure
    default: return HTTPStatusError.exitStatus(forStatus: status)
    }
  }
}

func isRetryableAzureFailure(_ error: Error) -> Bool {
  if let azure = error as? AzureServiceError { return azure.exitStatus == .temporaryFailure }
  return isRetryableHTTPFailure(error)
}
