import CliplineAWS
import CliplineBlobStores
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// The built `blob-put`, `blob-get` and `blob-rm` against SeaweedFS (SigV4 verified): stdout, stderr, exit codes,
/// and what the aws CLI and boto3 download afterwards.
final class BlobPutToolTests: XCTestCase {
  var server: S3TestServer!
  var scratch: ScratchDirectory!

  override func setUpWithError() throws {
    server = try S3TestServer.require()
    scratch = try ScratchDirectory("blob-put")
  }

  func line(_ fields: [String: JSONValue]) -> String { Record(fields).jsonText + "\n" }

  func testTwoDestinationsInParallelWithTTLAndPresignedURLs() throws {
    let bucket = try server.makeBucket("m0")
    let cache = try server.makeBucket("cache")
    let chunk = scratch.file("chunk_001.mp4")
    try writeRandomFile(chunk, bytes: 300_000)
    let input = line([
      "process_id": 101, "chunk_id": 1, "chunk_path": .string(chunk), "cache_container_name": .string(cache),
      "inference_config": ["vlm": "nova"],
    ])
    let result = try server.runTool(
      "blob-put",
      [
        "--to", "s3://\(bucket)/processed/{process_id}/chunk_{chunk_id:03}.mp4=cloud_stream_path",
        "--to", "s3://{cache_container_name}/temp/{process_id}/chunk_{chunk_id:03}.mp4=cache_path",
        "--ttl", "cache_path=24h", "--presign", "1h",
      ], stdin: input)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(result.stderr, "")
    let records = try result.records()
    XCTAssertEqual(records.count, 1)
    guard let record = records.first else { return XCTFail("no record written: \(result.stderr)") }
    XCTAssertEqual(record["cloud_stream_path"], .string("s3://\(bucket)/processed/101/chunk_001.mp4"))
    XCTAssertEqual(record["cache_path"], .string("s3://\(cache)/temp/101/chunk_001.mp4"))
    XCTAssertEqual(record["inference_config"], ["vlm": "nova"], "other fields pass through")
    XCTAssertEqual(record["chunk_bytes"], .integer(300_000))
    XCTAssertEqual(record["chunk_sha256"], .string(try sha256Hex(ofFile: chunk)))
    // Each destination has its own ETag (the cache one is a server-side copy's), as its server answers HEAD.
    let store = server.store()
    for (field, location) in [
      ("cloud_stream_path", BlobLocation.s3(bucket: bucket, key: "processed/101/chunk_001.mp4")),
      ("cache_path", .s3(bucket: cache, key: "temp/101/chunk_001.mp4")),
    ] {
      XCTAssertEqual(record[field + "_etag"]?.stringValue?.count, 32, field)
      XCTAssertEqual(record[field + "_etag"]?.stringValue, try store.head(location)?.etag, field)
    }
    for old in ["bytes", "sha256", "etag"] { XCTAssertNil(record[old], "the unprefixed \(old) is gone") }
    let expiresAt = try XCTUnwrap(record["cache_path_expires_at"]?.stringValue.flatMap(RFC3339.parse))
    XCTAssertEqual(expiresAt.timeIntervalSinceNow, 86400, accuracy: 120)
    XCTAssertNil(record["cloud_stream_path_expires_at"])
    XCTAssertNotNil(record["cloud_stream_path_presigned_url"]?.stringValue)

    // The cache copy carries its expiry as a tag and as Expires; the persistent copy carries neither.
    XCTAssertEqual(
      try store.tags(of: .s3(bucket: cache, key: "temp/101/chunk_001.mp4"))[BlobPutOptions.expiryTag],
      RFC3339.format(expiresAt, fractionalDigits: 0))
    XCTAssertEqual(try store.head(.s3(bucket: cache, key: "temp/101/chunk_001.mp4"))?.expiresAt, expiresAt)
    XCTAssertNil(try store.tags(of: .s3(bucket: bucket, key: "processed/101/chunk_001.mp4"))[BlobPutOptions.expiryTag])

    // The presigned URL works with curl.
    let fetched = scratch.file("fetched.mp4")
    let curl = try ToolInvocation.runProcess(
      "/usr/bin/curl", ["-sf", "-o", fetched, record["cloud_stream_path_presigned_url"]!.stringValue!])
    XCTAssertEqual(curl.status, 0)
    XCTAssertEqual(FileManager.default.contents(atPath: fetched), FileManager.default.contents(atPath: chunk))
  }

  /// Interoperability: what blob-put uploads (single and multipart), the aws CLI and boto3 download intact.
  func testAWSCLIAndBoto3DownloadWhatBlobPutUploaded() throws {
    let bucket = try server.makeBucket("interop")
    let small = scratch.file("small.mp4")
    let large = scratch.file("large.mp4")
    try writeRandomFile(small, bytes: 123_457)
    try writeRandomFile(large, bytes: 12 * (1 << 20) + 7)
    let input =
      line(["name": "small", "clip_path": .string(small)]) + line(["name": "large", "clip_path": .string(large)])
    let result = try server.runTool(
      "blob-put",
      [
        "--to", "s3://\(bucket)/clips/{name}.mp4=cloud_stream_path", "--part-size", "5M",
        "--multipart-threshold", "5M",
      ], stdin: input)
    XCTAssertEqual(result.status, 0, result.stderr)
    let written = try result.records()
    guard written.count == 2 else { return XCTFail("two records expected: \(result.stderr)") }
    XCTAssertTrue(
      written[1]["cloud_stream_path_etag"]?.stringValue?.hasSuffix("-3") ?? false, "the large file went multipart")

    var environment = server.toolEnvironment
    environment["AWS_DEFAULT_REGION"] = server.region
    for name in ["small", "large"] {
      let viaCLI = scratch.file("cli-\(name)")
      let cli = try ToolInvocation.runProcess(
        "/usr/bin/env", ["aws", "s3", "cp", "--only-show-errors", "s3://\(bucket)/clips/\(name).mp4", viaCLI],
        environment: environment)
      XCTAssertEqual(cli.status, 0, cli.stderr)
      XCTAssertEqual(try sha256Hex(ofFile: viaCLI), try sha256Hex(ofFile: name == "small" ? small : large))
      let viaBoto = scratch.file("boto-\(name)")
      let boto = try ToolInvocation.runProcess(
        "/usr/bin/env",
        [
          "python3", "-c",
          "import boto3,sys; boto3.client('s3').download_file(sys.argv[1], sys.argv[2], sys.argv[3])",
          bucket, "clips/\(name).mp4", viaBoto,
        ], environment: environment)
      XCTAssertEqual(boto.status, 0, boto.stderr)
      XCTAssertEqual(try sha256Hex(ofFile: viaBoto), try sha256Hex(ofFile: name == "small" ? small : large))
    }
  }

  func testManyRecordsInParallelComeOutInInputOrderAndRerunsOverwrite() throws {
    let bucket = try server.makeBucket("order")
    var input = ""
    for index in 0..<24 {
      let path = scratch.file("f\(index).bin")
      try writeRandomFile(path, bytes: index % 3 == 0 ? 900_000 : 1000 + index)  // uneven, so finishing order varies
      input += line(["chunk_id": .integer(Int64(index)), "chunk_path": .string(path)])
    }
    let arguments = ["--to", "s3://\(bucket)/c/chunk_{chunk_id:03}.bin=cloud_stream_path", "--jobs", "8"]
    let first = try server.runTool("blob-put", arguments, stdin: input)
    XCTAssertEqual(first.status, 0, first.stderr)
    XCTAssertEqual(try first.records().map { $0["chunk_id"] }, (0..<24).map { JSONValue.integer(Int64($0)) })
    let second = try server.runTool("blob-put", arguments, stdin: input)
    XCTAssertEqual(second.stdout, first.stdout, "deterministic keys: a rerun writes the same records")
    XCTAssertEqual(try server.store().list(prefix: .s3(bucket: bucket, key: "c/")).count, 24, "nothing new appears")
  }

  func testUnsafeKeysAreRefusedAndNothingIsWritten() throws {
    let bucket = try server.makeBucket("unsafe")
    let file = scratch.file("a.bin")
    try writeRandomFile(file, bytes: 10)
    for bad in ["../../etc", "/abs", "a/./b", "x\\y"] {
      let result = try server.runTool(
        "blob-put", ["--to", "s3://\(bucket)/safe/{camera_id}/clip.mp4=cloud_stream_path"],
        stdin: line(["camera_id": .string(bad), "clip_path": .string(file)]))
      XCTAssertEqual(result.status, 65, bad)
      XCTAssertEqual(result.stdout, "")
      XCTAssertTrue(result.stderr.contains("(line 1)") && result.stderr.contains("\"camera_id\""), result.stderr)
    }
    let badBucket = try server.runTool(
      "blob-put", ["--to", "s3://{bucket}/k=cloud_stream_path"],
      stdin: line(["bucket": "UPPER_case", "clip_path": .string(file)]))
    XCTAssertEqual(badBucket.status, 65)
    XCTAssertEqual(try server.store().list(prefix: .s3(bucket: bucket, key: "")).count, 0)
  }

  func testMissingFileIs66AndMissingFieldIs65() throws {
    let bucket = try server.makeBucket("missing")
    let gone = try server.runTool(
      "blob-put", ["--to", "s3://\(bucket)/k.bin"], stdin: line(["chunk_path": .string(scratch.file("nope.bin"))]))
    XCTAssertEqual(gone.status, 66)
    XCTAssertTrue(gone.stderr.contains("nope.bin") && gone.stderr.contains("does not exist"), gone.stderr)
    let noField = try server.runTool("blob-put", ["--to", "s3://\(bucket)/k.bin"], stdin: line(["other": 1]))
    XCTAssertEqual(noField.status, 65)
    XCTAssertTrue(noField.stderr.contains("chunk_path"), noField.stderr)
  }

  func testBadCredentialsExit77NamingBucketAndKeyNeverTheSecret() throws {
    let bucket = try server.makeBucket("creds")
    let file = scratch.file("a.bin")
    try writeRandomFile(file, bytes: 10)
    let secret = "Sup3rS3cretValueThatMustNotLeak"
    let wrongSecret = try server.runTool(
      "blob-put", ["--to", "s3://\(bucket)/live/a.mp4"], stdin: line(["clip_path": .string(file)]),
      environment: ["AWS_SECRET_ACCESS_KEY": secret])
    XCTAssertEqual(wrongSecret.status, 77)
    XCTAssertTrue(wrongSecret.stderr.contains("s3://\(bucket)/live/a.mp4"), wrongSecret.stderr)
    XCTAssertFalse(wrongSecret.stderr.contains(secret))
    let unknownKey = try server.runTool(
      "blob-put", ["--to", "s3://\(bucket)/live/a.mp4"], stdin: line(["clip_path": .string(file)]),
      environment: ["AWS_ACCESS_KEY_ID": "AKIAUNKNOWNKEY000000"])
    XCTAssertEqual(unknownKey.status, 77)
    XCTAssertTrue(unknownKey.stderr.contains("InvalidAccessKeyId"), unknownKey.stderr)
  }

  func testCredentialsFromFlags() throws {
    let bucket = try server.makeBucket("flags")
    let file = scratch.file("a.bin")
    try writeRandomFile(file, bytes: 10)
    func put(secret: String) throws -> ToolResult {
      try ToolInvocation.run(
        "blob-put",
        ["--to", "s3://\(bucket)/a.bin", "--access-key-id", server.accessKeyId, "--secret-access-key", secret],
        stdin: line(["clip_path": .string(file)]),
        environment: ["AWS_ENDPOINT_URL_S3": server.endpoint, "AWS_EC2_METADATA_DISABLED": "true"],
        removingEnvironment: S3TestServer.unrelatedVariables + ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
    }
    let good = try put(secret: server.secretAccessKey)
    XCTAssertEqual(good.status, 0, good.stderr)
    let bad = try put(secret: "FlagSecretThatMustNotLeak")
    XCTAssertEqual(bad.status, 77, bad.stderr)
    XCTAssertFalse(bad.stderr.contains("FlagSecretThatMustNotLeak"))
  }

  /// Connection refused is "service unavailable" (69) in every storage tool, as in the other clipline tools;
  /// a server that answers 5xx or throttles is 75 (FaultInjectionTests).
  func testUnreachableServerIsRetriedThenExit69InEveryStorageTool() throws {
    let file = scratch.file("a.bin")
    try writeRandomFile(file, bytes: 10)
    let unreachable = ["AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9"]
    let put = try server.runTool(
      "blob-put", ["--to", "s3://bucket/k.bin", "--attempts", "3"], stdin: line(["clip_path": .string(file)]),
      environment: unreachable)
    XCTAssertEqual(put.status, 69, put.stderr)
    XCTAssertTrue(put.stderr.contains("s3://bucket/k.bin"), put.stderr)
    let get = try server.runTool(
      "blob-get", ["s3://bucket/k.bin", "--output", scratch.file("k.bin"), "--attempts", "2"], environment: unreachable)
    XCTAssertEqual(get.status, 69, get.stderr)
    let rm = try server.runTool("blob-rm", ["s3://bucket/k.bin", "--attempts", "2"], environment: unreachable)
    XCTAssertEqual(rm.status, 69, rm.stderr)
    let azure = try server.runTool(
      "blob-put", ["--to", "az://account/container/k.bin", "--attempts", "2"],
      stdin: line(["clip_path": .string(file)]),
      environment: [
        "AZURE_STORAGE_CONNECTION_STRING": "AccountName=account;AccountKey=AAAA;BlobEndpoint=http://127.0.0.1:9/account"
      ])
    XCTAssertEqual(azure.status, 69, azure.stderr)
  }

  func testRemoveSourceOnlyAfterEveryUploadSucceeded() throws {
    let bucket = try server.makeBucket("remove")
    let kept = scratch.file("kept.bin")
    let removed = scratch.file("removed.bin")
    try writeRandomFile(kept, bytes: 100)
    try writeRandomFile(removed, bytes: 100)
    let ok = try server.runTool(
      "blob-put", ["--to", "s3://\(bucket)/a.bin", "--remove-source"], stdin: line(["chunk_path": .string(removed)]))
    XCTAssertEqual(ok.status, 0, ok.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: removed))
    let failed = try server.runTool(
      "blob-put",
      [
        "--to", "s3://\(bucket)/a.bin", "--to", "file:///proc/clipline-cannot-write/a.bin=copy",
        "--remove-source",
      ], stdin: line(["chunk_path": .string(kept)]))
    XCTAssertNotEqual(failed.status, 0)
    XCTAssertTrue(FileManager.default.fileExists(atPath: kept), "a failed destination keeps the local file")
  }

  /// SIGTERM in the middle of a multipart upload: exit 75, no object, no open multipart upload (no orphaned parts).
  func testInterruptedMultipartUploadLeavesNoObjectAndNoOpenUpload() throws {
    try interruptMultipartUpload(by: SIGTERM)
  }

  /// SIGHUP (a closed terminal, a reload) does the same clean-up as SIGTERM.
  func testHangupMidMultipartUploadLeavesNoObjectAndNoOpenUpload() throws {
    try interruptMultipartUpload(by: SIGHUP)
  }

  private func interruptMultipartUpload(by signal: Int32) throws {
    let bucket = try server.makeBucket("killed")
    let big = scratch.file("big.bin")
    try writeRandomFile(big, bytes: 120 << 20)
    let tool = try RunningTool(
      "blob-put",
      ["--to", "s3://\(bucket)/big.bin", "--part-size", "5M", "--multipart-threshold", "5M", "--part-jobs", "2"],
      environment: server.toolEnvironment, removingEnvironment: S3TestServer.unrelatedVariables)
    try tool.write(line(["chunk_path": .string(big)]))
    try tool.closeInput()
    let store = server.store()
    // Wait until the multipart upload is open, then stop the tool.
    let deadline = Date().addingTimeInterval(30)
    while try store.openMultipartUploads(bucket: bucket).isEmpty, Date() < deadline, tool.process.isRunning {
      Thread.sleep(forTimeInterval: 0.05)
    }
    XCTAssertTrue(tool.process.isRunning, "the upload finished before it could be interrupted; make the file larger")
    tool.signal(signal)
    _ = tool.finish()
    XCTAssertEqual(tool.process.terminationReason, .exit, "signal \(signal) is handled, not a death by it")
    XCTAssertEqual(tool.status, 75)
    XCTAssertNil(try store.head(.s3(bucket: bucket, key: "big.bin")), "no object may appear")
    XCTAssertEqual(try store.openMultipartUploads(bucket: bucket), [], "the multipart upload must be aborted")
  }

  func testBlobRmExpiredRemovesOnlyWhatIsPastItsExpiry() throws {
    let bucket = try server.makeBucket("sweep")
    let file = scratch.file("a.bin")
    try writeRandomFile(file, bytes: 1000)
    let input = line(["chunk_id": 1, "chunk_path": .string(file)])
    let put = try server.runTool(
      "blob-put",
      [
        "--to", "s3://\(bucket)/temp/1.bin=cache_path", "--to", "s3://\(bucket)/keep/1.bin=cloud_stream_path",
        "--ttl", "cache_path=1s",
      ], stdin: input)
    XCTAssertEqual(put.status, 0, put.stderr)
    let early = try server.runTool("blob-rm", ["--expired", "s3://\(bucket)/", "--dry-run"])
    XCTAssertEqual(early.status, 0, early.stderr)
    Thread.sleep(forTimeInterval: 2.1)
    let dry = try server.runTool("blob-rm", ["--expired", "s3://\(bucket)/", "--dry-run"])
    XCTAssertEqual(try dry.records().map { $0["url"] }, [.string("s3://\(bucket)/temp/1.bin")])
    XCTAssertEqual(try dry.records().first?["removed"], .bool(false))
    XCTAssertNotNil(try server.store().head(.s3(bucket: bucket, key: "temp/1.bin")))
    let sweep = try server.runTool("blob-rm", ["--expired", "s3://\(bucket)/"])
    XCTAssertEqual(sweep.status, 0, sweep.stderr)
    XCTAssertEqual(try sweep.records().map { $0["url"] }, [.string("s3://\(bucket)/temp/1.bin")])
    XCTAssertNil(try server.store().head(.s3(bucket: bucket, key: "temp/1.bin")))
    XCTAssertNotNil(try server.store().head(.s3(bucket: bucket, key: "keep/1.bin")), "objects without expiry stay")

    let putRecord = try XCTUnwrap(try put.records().first)
    let byField = try server.runTool("blob-rm", ["--field", "cloud_stream_path"], stdin: putRecord.jsonText + "\n")
    XCTAssertEqual(byField.status, 0, byField.stderr)
    XCTAssertEqual(try byField.records().first?["cloud_stream_path"], .string("s3://\(bucket)/keep/1.bin"))
    XCTAssertNil(try server.store().head(.s3(bucket: bucket, key: "keep/1.bin")))
  }

  func testInstallLifecycleRulesMatchTheTTLTag() throws {
    let bucket = try server.makeBucket("lifecycle")
    let installed = try server.runTool(
      "blob-rm", ["--install-lifecycle", "s3://\(bucket)/temp/", "--lifecycle-days", "3"])
    XCTAssertEqual(installed.status, 0, installed.stderr)
    XCTAssertEqual(try installed.records().first?["lifecycle_days"], .integer(3))
    XCTAssertEqual(
      try server.store().lifecycleRuleIDs(bucket: bucket).sorted(),
      ["clipline-abort-incomplete-multipart", "clipline-ttl-1d", "clipline-ttl-2d", "clipline-ttl-3d"])
    let file = scratch.file("a.bin")
    try writeRandomFile(file, bytes: 10)
    let put = try server.runTool(
      "blob-put", ["--to", "s3://\(bucket)/temp/a.bin=cache_path", "--ttl", "cache_path=36h"],
      stdin: line(["chunk_path": .string(file)]))
    XCTAssertEqual(put.status, 0, put.stderr)
    XCTAssertEqual(try server.store().tags(of: .s3(bucket: bucket, key: "temp/a.bin"))[S3Store.lifecycleDaysTag], "2")
    XCTAssertEqual(try server.runTool("blob-rm", ["--install-lifecycle", "az://a/c/"]).status, 64)
  }

  func testBlobGetDownloadsAndPresignsPut() throws {
    let bucket = try server.makeBucket("get")
    let file = scratch.file("a.bin")
    try writeRandomFile(file, bytes: 7 << 20)
    _ = try server.store().put(.file(file), to: .s3(bucket: bucket, key: "a.bin"), options: BlobPutOptions())
    let output = scratch.file("out/a.bin")
    let get = try server.runTool(
      "blob-get", ["s3://\(bucket)/a.bin", "--output", output, "--multipart-threshold", "5M", "--part-size", "5M"])
    XCTAssertEqual(get.status, 0, get.stderr)
    XCTAssertEqual(try get.records().first?["bytes"], .integer(7 << 20))
    XCTAssertEqual(try sha256Hex(ofFile: output), try sha256Hex(ofFile: file))
    let missing = try server.runTool("blob-get", ["s3://\(bucket)/nope.bin", "--output", scratch.file("nope")])
    XCTAssertEqual(missing.status, 66, missing.stderr)
    let presign = try server.runTool("blob-get", ["s3://\(bucket)/by-put.bin", "--presign", "10m", "--method", "put"])
    XCTAssertEqual(presign.status, 0, presign.stderr)
    let url = try XCTUnwrap(try presign.records().first?["presigned_url"]?.stringValue)
    let curl = try ToolInvocation.runProcess("/usr/bin/curl", ["-sf", "-T", file, url])
    XCTAssertEqual(curl.status, 0, curl.stderr)
    XCTAssertEqual(try server.store().head(.s3(bucket: bucket, key: "by-put.bin"))?.bytes, 7 << 20)
  }

  /// M0's shape: `chunk` reads an s3:// source through SourceFetcher.standard(), blob-put stores every chunk.
  func testChunkReadsAnS3SourceAndBlobPutStoresItsChunks() throws {
    let bucket = try server.makeBucket("m0-pipeline")
    let video = try FixtureVideo.path(FixtureVideo.Spec(seconds: 6, audio: false))
    _ = try server.store().put(
      .file(video), to: .s3(bucket: bucket, key: "uploads/feed.mp4"), options: BlobPutOptions())
    let request = line([
      "process_id": 101, "cloud_stream_path": .string("s3://\(bucket)/uploads/feed.mp4"),
      "video_preprocessing": ["chunk_duration": 2],
    ])
    let chunked = try server.runTool("chunk", ["--work-dir", scratch.file("chunks")], stdin: request)
    XCTAssertEqual(chunked.status, 0, chunked.stderr)
    let stored = try server.runTool(
      "blob-put",
      [
        "--to", "s3://\(bucket)/processed/{process_id}/chunk_{chunk_id:03}.mp4=cloud_stream_path",
        "--remove-source",
      ], stdin: chunked.stdout)
    XCTAssertEqual(stored.status, 0, stored.stderr)
    let records = try stored.records()
    XCTAssertEqual(records.count, 3)
    for record in records {
      let url = try XCTUnwrap(record["cloud_stream_path"]?.stringValue)
      let info = try XCTUnwrap(try server.store().head(try BlobLocation(parsing: url)))
      XCTAssertEqual(info.sha256, record["chunk_sha256"]?.stringValue)
      XCTAssertEqual(record["chunk_sha256"], record["chunk_hash"], "chunk's hash is the stored object's")
      XCTAssertFalse(FileManager.default.fileExists(atPath: record["chunk_path"]?.stringValue ?? "/"))
    }
  }

  func testUsageErrorsExit64() throws {
    XCTAssertEqual(try server.runTool("blob-put", []).status, 64)
    XCTAssertEqual(try server.runTool("blob-put", ["--to", "ftp://x/y"]).status, 64)
    let ttl = try server.runTool("blob-put", ["--to", "s3://b/k=cloud_stream_path", "--ttl", "cache_path=1h"])
    XCTAssertEqual(ttl.status, 64)
    XCTAssertTrue(ttl.stderr.contains("cache_path"), ttl.stderr)
    XCTAssertEqual(try server.runTool("blob-put", ["--to", "s3://b/k", "--presign", "8d"]).status, 64)
  }

  /// Every number a user gives the storage tools has documented bounds; outside them, a sentence and 64.
  func testNumbersOutsideTheirBoundsAreUsageErrors() throws {
    let put = ["--to", "s3://b/k=cache_path"]
    for extra in [
      ["--part-size", "4M"], ["--part-size", "6G"], ["--part-size", "1e30"], ["--multipart-threshold", "6G"],
      ["--part-jobs", "0"], ["--part-jobs", "65"], ["--attempts", "0"], ["--attempts", "21"], ["--jobs", "0"],
      ["--jobs", "257"], ["--ttl", "cache_path=0s"], ["--ttl", "cache_path=3651d"], ["--ttl", "cache_path=inf"],
      ["--presign", "0s"], ["--copy-mode", "sometimes"],
    ] {
      let result = try server.runTool("blob-put", put + extra)
      XCTAssertEqual(result.status, 64, "\(extra): \(result.stderr)")
      XCTAssertEqual(result.stderr.split(separator: "\n").first.map { $0.contains(extra[0]) }, true, result.stderr)
    }
    // The old spelling of --part-jobs is still read, bounded the same way, and no longer shown.
    let alias = try server.runTool("blob-put", put + ["--concurrency", "65"])
    XCTAssertEqual(alias.status, 64, alias.stderr)
    XCTAssertTrue(alias.stderr.contains("--part-jobs must be between 1 and 64"), alias.stderr)
    let help = try server.runTool("blob-put", ["--help"])
    XCTAssertTrue(help.stdout.contains("--part-jobs"), help.stdout)
    XCTAssertFalse(help.stdout.contains("--concurrency"), help.stdout)
    XCTAssertEqual(try server.runTool("blob-get", ["s3://b/k", "--presign", "0s"]).status, 64)
    XCTAssertEqual(try server.runTool("blob-get", ["s3://b/k", "--output", "/tmp/x", "--part-size", "0"]).status, 64)
    XCTAssertEqual(try server.runTool("blob-rm", ["s3://b/k", "--attempts", "100"]).status, 64)
    XCTAssertEqual(try server.runTool("gql-mutate", ["--op", "create-chunk", "--timeout", "0s"]).status, 64)
    XCTAssertEqual(try server.runTool("amqp-consume", ["--queue", "q", "--timeout", "0s", "--", "true"]).status, 64)
  }
}
