import CliplineBlobStores
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// `blob-put` to Azure, against the test endpoint whose SharedKey/SAS checks are azure-storage-blob's own code; the
/// SDK reads what it wrote.
final class BlobPutAzureTests: XCTestCase {
  var azure: AzureTestAccount!
  var scratch: ScratchDirectory!
  var account: String! { azure.account }
  var key: String! { azure.key }
  var connectionString: String! { azure.connectionString }

  override func setUpWithError() throws {
    azure = try AzureTestAccount.require()
    scratch = try ScratchDirectory("blob-put-azure")
  }

  func store() throws -> AzureBlobStore { try azure.store() }

  func makeContainer(_ label: String) throws -> String { try azure.makeContainer(label) }

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
    XCTAssertEqual(try curlStatus(["-o", "/dev/null", sasURL]), "200")
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
    try interruptBlockUpload(by: SIGTERM)
  }

  /// SIGHUP: the same.
  func testHangupMidBlockUploadLeavesNoBlob() throws {
    try interruptBlockUpload(by: SIGHUP)
  }

  private func interruptBlockUpload(by signal: Int32) throws {
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
    tool.signal(signal)
    _ = tool.finish()
    XCTAssertEqual(tool.process.terminationReason, .exit, "signal \(signal) is handled, not a death by it")
    XCTAssertEqual(tool.status, 75)
    XCTAssertNil(try store().head(location), "no blob may appear")
  }

}
