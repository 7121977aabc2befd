import CliplineAWS
import CliplineBlobStores
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// `blob-put` against SeaweedFS: the record's SHA-256 as the known digest (S3 checks x-amz-checksum-sha256 against
/// the bytes; SeaweedFS does, it does not check the signed payload hash), and the cache copy made server-side.
final class S3CopyAndKnownDigestTests: XCTestCase {
  var server: S3TestServer!
  var scratch: ScratchDirectory!

  override func setUpWithError() throws {
    server = try S3TestServer.require()
    scratch = try ScratchDirectory("s3-copy")
  }

  func run(_ arguments: [String], stdin: String) throws -> ToolResult {
    try ToolInvocation.run(
      "blob-put", arguments, stdin: stdin, environment: server.toolEnvironment,
      removingEnvironment: S3TestServer.unrelatedVariables)
  }

  func line(_ fields: [String: JSONValue]) -> String { Record(fields).jsonText + "\n" }

  func testAWrongKnownDigestIsRefusedByS3AndNothingIsLeft() throws {
    let bucket = try server.makeBucket("known-digest")
    let small = scratch.file("small.mp4")
    let large = scratch.file("large.mp4")
    try writeRandomFile(small, bytes: 200_000)
    try writeRandomFile(large, bytes: 12 << 20)
    let wrong = String(repeating: "ab", count: 32)
    for file in [small, large] {
      let result = try run(
        [
          "--to", "s3://\(bucket)/c/{name}=cloud_stream_path", "--to", "s3://\(bucket)/cache/{name}=cache_path",
          "--part-size", "5M", "--multipart-threshold", "5M",
        ],
        stdin: line([
          "name": .string((file as NSString).lastPathComponent), "chunk_path": .string(file),
          "chunk_hash": .string(wrong),
        ]))
      XCTAssertEqual(result.status, 65, result.stderr)
      XCTAssertEqual(result.stdout, "")
      XCTAssertTrue(result.stderr.contains("\"chunk_hash\"") && result.stderr.contains("(line 1)"), result.stderr)
      XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
    }
    XCTAssertEqual(try server.store().list(prefix: .s3(bucket: bucket, key: "")), [], "nothing left in the bucket")
    XCTAssertEqual(try server.store().openMultipartUploads(bucket: bucket), [], "nor an open multipart upload")

    // The right digest (and a shorter hash, which is ignored) store the file with that SHA-256.
    for (name, hash) in [("right", try sha256Hex(ofFile: small)), ("short", "abc123")] {
      let result = try run(
        ["--to", "s3://\(bucket)/\(name).mp4=cloud_stream_path"],
        stdin: line(["chunk_path": .string(small), "chunk_hash": .string(hash)]))
      XCTAssertEqual(result.status, 0, result.stderr)
      XCTAssertEqual(try result.records().first?["chunk_sha256"], .string(try sha256Hex(ofFile: small)))
      XCTAssertEqual(
        try server.store().head(.s3(bucket: bucket, key: "\(name).mp4"))?.sha256, try sha256Hex(ofFile: small))
    }
  }

  func testTheCacheCopyIsServerSideByteIdenticalTaggedAndExpiring() throws {
    let bucket = try server.makeBucket("copy-main")
    let cache = try server.makeBucket("copy-cache")
    for size in [300_000, 12 << 20] {
      let chunk = scratch.file("chunk-\(size).mp4")
      try writeRandomFile(chunk, bytes: size)
      let result = try run(
        [
          "--to", "s3://\(bucket)/processed/\(size).mp4=cloud_stream_path",
          "--to", "s3://\(cache)/temp/\(size).mp4=cache_path", "--ttl", "cache_path=24h",
          "--part-size", "5M", "--multipart-threshold", "5M", "--verbose",
        ], stdin: line(["chunk_path": .string(chunk), "chunk_hash": .string(try sha256Hex(ofFile: chunk))]))
      XCTAssertEqual(result.status, 0, result.stderr)
      XCTAssertTrue(result.stderr.contains("server-side copy"), "the cache copy is a copy: \(result.stderr)")
      let record = try XCTUnwrap(try result.records().first)
      let expiresAt = try XCTUnwrap(record["cache_path_expires_at"]?.stringValue.flatMap(RFC3339.parse))
      try assertLikeAnUpload(
        .s3(bucket: cache, key: "temp/\(size).mp4"), of: chunk, expiresAt: expiresAt, contentType: "video/mp4")
      XCTAssertNil(try server.store().head(.s3(bucket: bucket, key: "processed/\(size).mp4"))?.expiresAt)
    }

    // --copy-mode upload uploads both.
    let chunk = scratch.file("chunk-300000.mp4")
    let uploaded = try run(
      [
        "--to", "s3://\(bucket)/u.mp4=cloud_stream_path", "--to", "s3://\(cache)/u.mp4=cache_path", "--ttl",
        "cache_path=1h", "--copy-mode", "upload", "--verbose",
      ], stdin: line(["chunk_path": .string(chunk)]))
    XCTAssertEqual(uploaded.status, 0, uploaded.stderr)
    XCTAssertFalse(uploaded.stderr.contains("server-side copy"), uploaded.stderr)
    XCTAssertEqual(uploaded.stderr.components(separatedBy: " bytes in ").count, 3, uploaded.stderr)
  }

  /// Above `copyPartThreshold` (5 GiB on S3; 5 MiB here) the copy goes as UploadPartCopy parts.
  func testLargeCopiesGoAsUploadPartCopy() throws {
    let bucket = try server.makeBucket("copy-parts")
    var configuration = server.configuration()
    configuration.partSize = 5 << 20
    configuration.copyPartThreshold = 5 << 20
    let store = S3Store(configuration: configuration)
    let file = scratch.file("big.bin")
    try writeRandomFile(file, bytes: 11 << 20)
    let source = try store.put(.file(file), to: .s3(bucket: bucket, key: "a.bin"), options: BlobPutOptions())
    let expiry = Date(timeIntervalSince1970: 1_900_000_000)
    let copied = try store.copy(
      source, to: .s3(bucket: bucket, key: "b.bin"),
      options: BlobPutOptions(contentType: "video/mp4", tags: ["kind": "cache"], expiresAt: expiry))
    XCTAssertTrue(copied.etag.hasSuffix("-3"), "three copied parts: \(copied.etag)")
    try assertLikeAnUpload(.s3(bucket: bucket, key: "b.bin"), of: file, expiresAt: expiry, contentType: "video/mp4")
    XCTAssertEqual(try store.tags(of: .s3(bucket: bucket, key: "b.bin"))["kind"], "cache")
  }

  func assertLikeAnUpload(
    _ location: BlobLocation, of file: String, expiresAt: Date, contentType: String,
    line: UInt = #line
  ) throws {
    let store = server.store()
    let info = try XCTUnwrap(try store.head(location), line: line)
    XCTAssertEqual(info.sha256, try sha256Hex(ofFile: file), "the recorded SHA-256", line: line)
    XCTAssertEqual(info.expiresAt, expiresAt, "Expires", line: line)
    XCTAssertEqual(
      try store.tags(of: location)[BlobPutOptions.expiryTag], RFC3339.format(expiresAt, fractionalDigits: 0),
      line: line)
    let copy = scratch.file("downloaded")
    _ = try store.get(location, to: copy)
    XCTAssertEqual(try sha256Hex(ofFile: copy), try sha256Hex(ofFile: file), "byte-identical", line: line)
    var environment = server.toolEnvironment
    environment["AWS_DEFAULT_REGION"] = server.region
    guard case .s3(let bucket, let key) = location else { return }
    let cli = try ToolInvocation.runProcess(
      "/usr/bin/env", ["aws", "s3api", "head-object", "--bucket", bucket, "--key", key, "--query", "ContentType"],
      environment: environment)
    XCTAssertEqual(
      cli.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "\"\(contentType)\"", cli.stderr, line: line)
  }
}
