import CliplineBlobStores
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// The Azure Blob store against the test endpoint whose SharedKey/SAS checks are azure-storage-blob's own code;
/// and the azure-storage-blob SDK reading what we wrote.
final class AzureBlobStoreTests: XCTestCase {
  var azure: AzureTestAccount!
  var connectionString: String!
  var account: String!
  var key: String!
  var scratch: ScratchDirectory!

  override func setUpWithError() throws {
    azure = try AzureTestAccount.require()
    connectionString = azure.connectionString
    account = azure.account
    key = azure.key
    scratch = try ScratchDirectory("azure")
  }

  func store(_ configuration: AzureConfiguration? = nil) throws -> AzureBlobStore { try azure.store(configuration) }

  func makeContainer(_ label: String) throws -> String { try azure.makeContainer(label) }

  func testPutBlobAndBlocksRoundTripWithTagsListAndDelete() throws {
    let container = try makeContainer("roundtrip")
    let store = try store()
    for (name, size) in [("small.mp4", 333_333), ("large.mp4", 10 * (1 << 20) + 99)] {
      let source = scratch.file(name)
      try writeRandomFile(source, bytes: size)
      let location = BlobLocation.azure(account: account, container: container, blob: "clips/cam 1/\(name)")
      let stored = try store.put(
        .file(source), to: location,
        options: BlobPutOptions(
          contentType: "video/mp4", tags: ["camera": "front"], expiresAt: Date(timeIntervalSince1970: 1_800_000_000)))
      XCTAssertEqual(stored.bytes, Int64(size))
      XCTAssertEqual(stored.sha256, try sha256Hex(ofFile: source))
      XCTAssertFalse(stored.etag.isEmpty)
      let info = try XCTUnwrap(try store.head(location))
      XCTAssertEqual(info.bytes, Int64(size))
      XCTAssertEqual(info.sha256, stored.sha256)
      XCTAssertEqual(try store.tags(of: location)["camera"], "front")
      XCTAssertEqual(try store.expiry(of: location), Date(timeIntervalSince1970: 1_800_000_000))
      let copy = scratch.file("copy-\(name)")
      _ = try store.get(location, to: copy)  // the large one in parallel x-ms-range reads
      XCTAssertEqual(try sha256Hex(ofFile: copy), stored.sha256)
    }
    let listed = try store.list(prefix: .azure(account: account, container: container, blob: "clips/"))
    XCTAssertEqual(
      listed.map(\.location.description).sorted(),
      [
        "az://\(account!)/\(container)/clips/cam 1/large.mp4", "az://\(account!)/\(container)/clips/cam 1/small.mp4",
      ])
    let small = BlobLocation.azure(account: account, container: container, blob: "clips/cam 1/small.mp4")
    try store.setTags(["a": "b"], of: small)
    XCTAssertEqual(try store.tags(of: small), ["a": "b"])
    try store.delete(small)
    XCTAssertNil(try store.head(small))
    try store.delete(small)
    XCTAssertThrowsError(try store.get(small, to: scratch.file("gone"))) { XCTAssertEqual(ExitStatus.of($0), .noInput) }
  }

  func testSASURLsWorkWithCurlAndStopWhenTamperedOrExpired() throws {
    let container = try makeContainer("sas")
    let store = try store()
    let source = scratch.file("clip.mp4")
    try writeRandomFile(source, bytes: 5000)
    let location = BlobLocation.azure(account: account, container: container, blob: "live/clip.mp4")
    _ = try store.put(.file(source), to: location, options: BlobPutOptions())
    let url = try store.presignedURL(for: location, method: .get, expires: 600)
    XCTAssertTrue(url.contains("sig="))
    let fetched = scratch.file("fetched")
    XCTAssertEqual(try curl(["-o", fetched, url]), "200")
    XCTAssertEqual(try sha256Hex(ofFile: fetched), try sha256Hex(ofFile: source))
    XCTAssertEqual(try curl(["-o", "/dev/null", url.replacingOccurrences(of: "clip.mp4", with: "clip2.mp4")]), "403")
    XCTAssertEqual(try curl(["-o", "/dev/null", url.replacingOccurrences(of: "sp=r", with: "sp=rw")]), "403")
    let shortLived = try store.presignedURL(for: location, method: .get, expires: 1)
    Thread.sleep(forTimeInterval: 2.2)
    XCTAssertEqual(try curl(["-o", "/dev/null", shortLived]), "403")
    let putURL = try store.presignedURL(
      for: .azure(account: account, container: container, blob: "up/by-curl.bin"), method: .put, expires: 600)
    XCTAssertEqual(try curl(["-H", "x-ms-blob-type: BlockBlob", "-T", source, putURL]), "201")
  }

  /// A container SAS made by the azure-storage-blob SDK authorizes our requests (AZURE_STORAGE_SAS_TOKEN).
  func testSASTokenAuthentication() throws {
    let container = try makeContainer("sastoken")
    let script = """
      import sys, datetime
      from azure.storage.blob import generate_container_sas, ContainerSasPermissions
      print(generate_container_sas(sys.argv[1], sys.argv[2], account_key=sys.argv[3],
        permission=ContainerSasPermissions(read=True, write=True, delete=True, list=True, tag=True, create=True),
        expiry=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)))
      """
    let made = try ToolInvocation.runProcess("/usr/bin/env", ["python3", "-c", script, account, container, key])
    XCTAssertEqual(made.status, 0, made.stderr)
    let token = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let endpoint = try TestServices.require("CLIPLINE_TEST_AZURE_BLOB_ENDPOINT")
    let sasStore = try store(AzureConfiguration(credential: .sas(token), accountName: account, blobEndpoint: endpoint))
    let source = scratch.file("a.bin")
    try writeRandomFile(source, bytes: 6 << 20)  // blocks, with the token on every request
    let location = BlobLocation.azure(account: account, container: container, blob: "a.bin")
    _ = try sasStore.put(.file(source), to: location, options: BlobPutOptions())
    let copy = scratch.file("b.bin")
    _ = try sasStore.get(location, to: copy)
    XCTAssertEqual(try sha256Hex(ofFile: copy), try sha256Hex(ofFile: source))
    let otherContainer = try makeContainer("other")
    XCTAssertThrowsError(
      try sasStore.put(
        .file(source), to: .azure(account: account, container: otherContainer, blob: "a.bin"), options: BlobPutOptions()
      )
    ) { XCTAssertEqual(ExitStatus.of($0), .permissionDenied) }
  }

  func testWrongKeyIsPermissionDeniedNamingTheBlobNotTheKey() throws {
    let container = try makeContainer("denied")
    let wrongKey = Array(repeating: UInt8(7), count: 64)
    let endpoint = try TestServices.require("CLIPLINE_TEST_AZURE_BLOB_ENDPOINT")
    let denied = try store(
      AzureConfiguration(
        credential: .sharedKey(account: account, key: wrongKey), accountName: account, blobEndpoint: endpoint))
    let source = scratch.file("a.bin")
    try writeRandomFile(source, bytes: 10)
    XCTAssertThrowsError(
      try denied.put(
        .file(source), to: .azure(account: account, container: container, blob: "x/a.bin"), options: BlobPutOptions())
    ) { error in
      XCTAssertEqual(ExitStatus.of(error), .permissionDenied)
      XCTAssertTrue(describe(error).contains("az://\(self.account!)/\(container)/x/a.bin"), describe(error))
      XCTAssertTrue(describe(error).contains("AuthenticationFailed"), describe(error))
    }
  }

  /// Our blob SAS string-to-sign against the SDK's generate_blob_sas for the same inputs.
  func testBlobSASSignatureMatchesTheSDK() throws {
    let keyBytes = Array(Data(base64Encoded: key)!)
    let expiry = Date(timeIntervalSince1970: 1_800_000_000)
    let ours = AzureSharedKeySigner(account: "acct", key: keyBytes).blobSAS(
      container: "videos", blob: "live/cam 1/a.mp4", permissions: "r", expiry: expiry)
    let script = """
      import sys, datetime
      from azure.storage.blob._shared_access_signature import BlobSharedAccessSignature
      s = BlobSharedAccessSignature("acct", sys.argv[1]); s.x_ms_version = "2021-08-06"
      print(s.generate_blob("videos", "live/cam 1/a.mp4", permission="r", expiry="2027-01-15T08:00:00Z"))
      """
    let theirs = try ToolInvocation.runProcess("/usr/bin/env", ["python3", "-c", script, key])
    XCTAssertEqual(theirs.status, 0, theirs.stderr)
    func signature(_ query: String) -> String? {
      query.split(separator: "&").first { $0.hasPrefix("sig=") }.map {
        String($0.dropFirst(4)).removingPercentEncoding!
      }
    }
    XCTAssertTrue(ours.contains("se=2027-01-15T08%3A00%3A00Z"), ours)
    XCTAssertEqual(signature(ours), signature(theirs.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
  }

  func testConnectionStringParsing() throws {
    let parsed = try AzureConfiguration(
      connectionString:
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=AAAA;EndpointSuffix=core.windows.net")
    XCTAssertEqual(parsed.accountName, "acct")
    XCTAssertEqual(
      parsed.url(account: "acct", container: "c", blob: "a b/c"), "https://acct.blob.core.windows.net/c/a%20b/c")
    let sas = try AzureConfiguration(
      connectionString: "BlobEndpoint=http://127.0.0.1:1/acct;SharedAccessSignature=sv=1&sig=x")
    if case .sas(let token) = sas.credential { XCTAssertEqual(token, "sv=1&sig=x") } else { XCTFail("expected a SAS") }
    XCTAssertThrowsError(try AzureConfiguration(connectionString: "AccountName=acct;AccountKey")) {
      XCTAssertEqual(ExitStatus.of($0), .configuration)
    }
  }

  func testBlobPutToAzureAndTheSDKReadsIt() throws {
    let container = try makeContainer("tool")
    let file = scratch.file("chunk.mp4")
    try writeRandomFile(file, bytes: 9 << 20)
    let result = try ToolInvocation.run(
      "blob-put",
      [
        "--to", "az://\(account!)/\(container)/processed/{process_id}/chunk_{chunk_id:03}.mp4=cloud_stream_path",
        "--ttl", "cloud_stream_path=1h", "--presign", "1h", "--part-size", "5M", "--multipart-threshold", "5M",
      ],
      stdin: Record(["process_id": 7, "chunk_id": 2, "chunk_path": .string(file)]).jsonText + "\n",
      environment: ["AZURE_STORAGE_CONNECTION_STRING": connectionString])
    XCTAssertEqual(result.status, 0, result.stderr)
    let record = try XCTUnwrap(try result.records().first)
    XCTAssertEqual(record["cloud_stream_path"], .string("az://\(account!)/\(container)/processed/7/chunk_002.mp4"))
    XCTAssertEqual(record["chunk_sha256"], .string(try sha256Hex(ofFile: file)))
    let sasURL = try XCTUnwrap(record["cloud_stream_path_presigned_url"]?.stringValue)
    XCTAssertEqual(try curl(["-o", "/dev/null", sasURL]), "200")
    let script = """
      import sys, hashlib
      from azure.storage.blob import BlobServiceClient
      c = BlobServiceClient.from_connection_string(sys.argv[1]).get_blob_client(sys.argv[2], sys.argv[3])
      print(hashlib.sha256(c.download_blob().readall()).hexdigest(), c.get_blob_tags().get("clipline-expires-at", ""))
      """
    let sdk = try ToolInvocation.runProcess(
      "/usr/bin/env", ["python3", "-c", script, connectionString, container, "processed/7/chunk_002.mp4"])
    XCTAssertEqual(sdk.status, 0, sdk.stderr)
    let words = sdk.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    XCTAssertEqual(words.first, try sha256Hex(ofFile: file))
    XCTAssertEqual(words.last, record["cloud_stream_path_expires_at"]?.stringValue)

    let denied = try ToolInvocation.run(
      "blob-put", ["--to", "az://\(account!)/\(container)/x.mp4"],
      stdin: Record(["chunk_path": .string(file)]).jsonText + "\n",
      environment: [
        "AZURE_STORAGE_CONNECTION_STRING": connectionString.replacingOccurrences(
          of: "AccountKey=", with: "AccountKey=AAAA")
      ])
    XCTAssertEqual(denied.status, 77, denied.stderr)
    XCTAssertTrue(denied.stderr.contains("az://\(account!)/\(container)/x.mp4"), denied.stderr)
    XCTAssertFalse(denied.stderr.contains(key), "the key never appears")
  }

  /// Two destinations on one account: the second is Put Blob From URL (the testbed checks the source's SAS with the
  /// SDK's code), byte-identical, tagged and expiring like an uploaded blob; --copy-mode upload uploads both.
  func testTheCacheCopyIsServerSideByteIdenticalTaggedAndExpiring() throws {
    let main = try makeContainer("copy-main")
    let cache = try makeContainer("copy-cache")
    for size in [300_000, 9 << 20] {
      let file = scratch.file("chunk-\(size).mp4")
      try writeRandomFile(file, bytes: size)
      let result = try ToolInvocation.run(
        "blob-put",
        [
          "--to", "az://\(account!)/\(main)/processed/\(size).mp4=cloud_stream_path",
          "--to", "az://\(account!)/\(cache)/temp/\(size).mp4=cache_path", "--ttl", "cache_path=24h",
          "--part-size", "5M", "--multipart-threshold", "5M", "--verbose",
        ],
        stdin: Record(["chunk_path": .string(file)]).jsonText + "\n",
        environment: ["AZURE_STORAGE_CONNECTION_STRING": connectionString])
      XCTAssertEqual(result.status, 0, result.stderr)
      XCTAssertTrue(result.stderr.contains("server-side copy"), result.stderr)
      let record = try XCTUnwrap(try result.records().first)
      let expiresAt = try XCTUnwrap(record["cache_path_expires_at"]?.stringValue)
      let script = """
        import sys, hashlib
        from azure.storage.blob import BlobServiceClient
        c = BlobServiceClient.from_connection_string(sys.argv[1]).get_blob_client(sys.argv[2], sys.argv[3])
        p = c.get_blob_properties()
        print(hashlib.sha256(c.download_blob().readall()).hexdigest(), c.get_blob_tags().get("clipline-expires-at", ""),
              p.content_settings.content_type, p.metadata.get("sha256", ""))
        """
      let sdk = try ToolInvocation.runProcess(
        "/usr/bin/env", ["python3", "-c", script, connectionString, cache, "temp/\(size).mp4"])
      XCTAssertEqual(sdk.status, 0, sdk.stderr)
      let words = sdk.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
      let sha256 = try sha256Hex(ofFile: file)
      XCTAssertEqual(words, [sha256, expiresAt, "video/mp4", sha256])
      let location = BlobLocation.azure(account: account, container: cache, blob: "temp/\(size).mp4")
      XCTAssertEqual(try store().expiry(of: location), RFC3339.parse(expiresAt))
      XCTAssertNil(
        try store().head(.azure(account: account, container: main, blob: "processed/\(size).mp4"))?.expiresAt)
    }
    let file = scratch.file("chunk-300000.mp4")
    let uploaded = try ToolInvocation.run(
      "blob-put",
      [
        "--to", "az://\(account!)/\(main)/u.mp4", "--to", "az://\(account!)/\(cache)/u.mp4=cache_path",
        "--copy-mode", "upload", "--verbose",
      ],
      stdin: Record(["chunk_path": .string(file)]).jsonText + "\n",
      environment: ["AZURE_STORAGE_CONNECTION_STRING": connectionString])
    XCTAssertEqual(uploaded.status, 0, uploaded.stderr)
    XCTAssertFalse(uploaded.stderr.contains("server-side copy"), uploaded.stderr)
  }

  /// Azure checks no SHA-256: the store's own pass over the bytes refuses a wrong known digest, and nothing appears.
  func testAWrongKnownDigestIsRefusedAndNoBlobAppears() throws {
    let container = try makeContainer("known")
    for size in [300_000, 9 << 20] {
      let file = scratch.file("k-\(size).bin")
      try writeRandomFile(file, bytes: size)
      let result = try ToolInvocation.run(
        "blob-put",
        ["--to", "az://\(account!)/\(container)/\(size).bin", "--part-size", "5M", "--multipart-threshold", "5M"],
        stdin: Record(["chunk_path": .string(file), "chunk_hash": .string(String(repeating: "0", count: 64))]).jsonText
          + "\n",
        environment: ["AZURE_STORAGE_CONNECTION_STRING": connectionString])
      XCTAssertEqual(result.status, 65, result.stderr)
      XCTAssertTrue(result.stderr.contains("\"chunk_hash\""), result.stderr)
    }
    XCTAssertEqual(try store().list(prefix: .azure(account: account, container: container, blob: "")), [])
  }

  /// SIGTERM during a block upload: exit 75 and no blob (the block list is never committed).
  func testInterruptedBlockUploadLeavesNoBlob() throws {
    let container = try makeContainer("killed")
    let big = scratch.file("big.bin")
    try writeRandomFile(big, bytes: 150 << 20)
    let tool = try RunningTool(
      "blob-put",
      [
        "--to", "az://\(account!)/\(container)/big.bin", "--part-size", "5M", "--multipart-threshold", "5M",
        "--concurrency", "2",  // the old spelling of --part-jobs, still read
      ], environment: ["AZURE_STORAGE_CONNECTION_STRING": connectionString])
    try tool.write(Record(["chunk_path": .string(big)]).jsonText + "\n")
    try tool.closeInput()
    // Wait until blocks are arriving, then stop the tool.
    let location = BlobLocation.azure(account: account, container: container, blob: "big.bin")
    let deadline = Date().addingTimeInterval(30)
    while (try? store().uncommittedBlockCount(of: location)) ?? 0 == 0, Date() < deadline, tool.process.isRunning {
      Thread.sleep(forTimeInterval: 0.02)
    }
    XCTAssertTrue(tool.process.isRunning, "the upload finished before it could be interrupted; make the file larger")
    tool.terminate()
    _ = tool.finish()
    XCTAssertEqual(tool.status, 75)
    XCTAssertNil(try store().head(location), "no blob may appear")
  }

  func curl(_ arguments: [String]) throws -> String {
    try ToolInvocation.runProcess("/usr/bin/curl", ["-s", "-w", "%{http_code}"] + arguments)
      .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
