import CliplineBlobStores
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// `chunk --to` sends each chunk in parts while it is cut (S3 multipart parts 2…N as the file grows, part 1 with the
/// head and the moved index last; Azure blocks the same): the object is the chunk a cut to files makes, byte for
/// byte, and a chunk that fails or is stopped leaves no object and no open upload.
final class ChunkPartsWhileCutTests: XCTestCase {
  var scratch: ScratchDirectory!

  override func setUpWithError() throws { scratch = try ScratchDirectory("parts-while-cut") }

  /// One 30 s 1080p chunk of ~50 MB: ten 5 MiB parts.
  func fixture() throws -> String {
    try FixtureVideo.path(.init(seconds: 30, width: 1920, height: 1080, gopFrames: 25))
  }

  func chunk(_ source: String, to destination: String, _ more: [String] = [], environment: [String: String]) throws
    -> ToolResult
  {
    try ToolInvocation.run(
      "chunk",
      [
        "--source", source, "--chunk-duration", "30", "-o", scratch.file("work"), "--to", destination,
        "--part-size", "5M",
      ] + more, environment: environment, removingEnvironment: S3TestServer.unrelatedVariables)
  }

  func testS3ObjectIsTheFileCutByteForByteSentInPartsWithItsIndexFirst() throws {
    let server = try S3TestServer.require()
    let bucket = try server.makeBucket("parts")
    let source = try fixture()
    let result = try chunk(
      source, to: "s3://\(bucket)/chunk_{chunk_id:03}.mp4=cloud_stream_path", environment: server.toolEnvironment)
    XCTAssertEqual(result.status, 0, result.stderr)
    let record = try XCTUnwrap(try result.records().first)
    XCTAssertEqual(record["chunk_hash"]?.stringValue, try ChunkReference.hashes(of: source, chunkDuration: 30).first)
    let etag = try XCTUnwrap(record["cloud_stream_path_etag"]?.stringValue)
    let parts = Int(etag.split(separator: "-").last ?? "") ?? 0
    XCTAssertGreaterThanOrEqual(parts, 9, "a multipart upload of 5 MiB parts: \(etag)")
    let downloaded = scratch.file("down.mp4")
    _ = try server.store().get(.s3(bucket: bucket, key: "chunk_001.mp4"), to: downloaded)
    XCTAssertEqual(try sha256Hex(ofFile: downloaded), record["chunk_hash"]?.stringValue)
    XCTAssertEqual(
      try server.store().head(.s3(bucket: bucket, key: "chunk_001.mp4"))?.sha256, record["chunk_hash"]?.stringValue)
    let boxes = try MediaAssertions.topLevelBoxes(downloaded)
    XCTAssertLessThan(
      try XCTUnwrap(boxes.firstIndex(of: "moov")), try XCTUnwrap(boxes.firstIndex(of: "mdat")), "\(boxes)")
    XCTAssertEqual(try server.store().openMultipartUploads(bucket: bucket), [])
  }

  func testAzureBlobIsTheFileCutByteForByteSentInBlocks() throws {
    let azure = try AzureTestAccount.require()
    let container = try azure.makeContainer("parts")
    let source = try fixture()
    let result = try chunk(
      source, to: "az://\(azure.account)/\(container)/chunk_{chunk_id:03}.mp4=cloud_stream_path",
      environment: ["AZURE_STORAGE_CONNECTION_STRING": azure.connectionString])
    XCTAssertEqual(result.status, 0, result.stderr)
    let record = try XCTUnwrap(try result.records().first)
    XCTAssertEqual(record["chunk_hash"]?.stringValue, try ChunkReference.hashes(of: source, chunkDuration: 30).first)
    let location = BlobLocation.azure(account: azure.account, container: container, blob: "chunk_001.mp4")
    let downloaded = scratch.file("down.mp4")
    _ = try azure.store().get(location, to: downloaded)
    XCTAssertEqual(try sha256Hex(ofFile: downloaded), record["chunk_hash"]?.stringValue)
    let boxes = try MediaAssertions.topLevelBoxes(downloaded)
    XCTAssertLessThan(
      try XCTUnwrap(boxes.firstIndex(of: "moov")), try XCTUnwrap(boxes.firstIndex(of: "mdat")), "\(boxes)")
    XCTAssertEqual(try azure.store().uncommittedBlockCount(of: location), 0)
  }
}

extension ChunkPartsWhileCutTests {
  /// A new bucket, and the tool's environment with S3 reached through `proxy`.
  func proxied(_ server: S3TestServer, _ label: String, _ proxy: FaultProxy) throws -> (String, [String: String]) {
    var environment = server.toolEnvironment
    environment["AWS_ENDPOINT_URL_S3"] = proxy.endpoint
    return (try server.makeBucket(label), environment)
  }

  /// Every part refused (503, one attempt): the cut stops with 75 and leaves no record, no object and no open
  /// multipart upload.
  func testAPartRefusedMidChunkLeavesNoObjectAndNoOpenUpload() throws {
    let (server, label) = (try S3TestServer.require(), "parts-refused")
    let proxy = try FaultProxy(upstream: server.endpoint, failQuery: "partNumber")
    let (bucket, environment) = try proxied(server, label, proxy)
    let result = try chunk(
      try fixture(), to: "s3://\(bucket)/chunk_{chunk_id:03}.mp4=cloud_stream_path", ["--attempts", "1"],
      environment: environment)
    XCTAssertEqual(result.status, ExitStatus.temporaryFailure.rawValue, result.stderr)
    XCTAssertEqual(result.stdout, "")
    XCTAssertNil(try server.store().head(.s3(bucket: bucket, key: "chunk_001.mp4")))
    XCTAssertEqual(try server.store().openMultipartUploads(bucket: bucket), [])
  }

  /// SIGTERM while a part of the chunk is on its way (the proxy holds it): 75, no object, no open upload.
  func testSIGTERMMidChunkLeavesNoObjectAndNoOpenUpload() throws {
    try interruptMidChunk(by: SIGTERM, "parts-sigterm")
  }

  /// SIGHUP: the same clean-up.
  func testSIGHUPMidChunkLeavesNoObjectAndNoOpenUpload() throws {
    try interruptMidChunk(by: SIGHUP, "parts-sighup")
  }

  private func interruptMidChunk(by signal: Int32, _ label: String) throws {
    let server = try S3TestServer.require()
    let proxy = try FaultProxy(upstream: server.endpoint, holdQuery: "partNumber")
    let (bucket, environment) = try proxied(server, label, proxy)
    let tool = try RunningTool(
      "chunk",
      [
        "--source", try fixture(), "--chunk-duration", "30", "-o", scratch.file("work"), "--part-size", "5M",
        "--to", "s3://\(bucket)/chunk_{chunk_id:03}.mp4=cloud_stream_path",
      ], environment: environment, removingEnvironment: S3TestServer.unrelatedVariables)
    try tool.closeInput()
    try proxy.waitUntilHeld()
    XCTAssertEqual(try server.store().openMultipartUploads(bucket: bucket).count, 1, "the chunk's upload is open")
    tool.signal(signal)
    try proxy.release()
    let output = String(decoding: tool.finish(), as: UTF8.self)
    XCTAssertEqual(tool.process.terminationReason, .exit, "signal \(signal) is handled, not a death by it")
    XCTAssertEqual(tool.status, 75)
    XCTAssertEqual(output, "")
    XCTAssertNil(try server.store().head(.s3(bucket: bucket, key: "chunk_001.mp4")))
    XCTAssertEqual(try server.store().openMultipartUploads(bucket: bucket), [])
  }

  /// A 90 s 1080p chunk (~150 MB) under a 200 MiB data limit (RLIMIT_DATA): memory holds the parts in flight, not
  /// the chunk. The path that cut a chunk into memory before uploading it aborted under 250 MiB with this source.
  func testALongChunkIsCutAndStoredUnderAMemoryLimitSmallerThanIt() throws {
    let server = try S3TestServer.require()
    let bucket = try server.makeBucket("parts-limit")
    let thirty = try fixture()
    let list = scratch.file("list.txt")
    try String(repeating: "file '\(thirty)'\n", count: 3).write(toFile: list, atomically: true, encoding: .utf8)
    let source = scratch.file("ninety.mp4")
    try MediaAssertions.makeWithFFmpeg(
      ["-f", "concat", "-safe", "0", "-i", list, "-c", "copy", "-movflags", "+faststart", source])
    let result = try ToolInvocation.runProcess(
      "/usr/bin/prlimit",
      [
        "--data=\(200 << 20)", ToolInvocation.path(of: "chunk"), "--source", source, "--chunk-duration", "90",
        "-o", scratch.file("work"), "--to", "s3://\(bucket)/chunk_{chunk_id:03}.mp4=cloud_stream_path",
      ], environment: server.toolEnvironment, removingEnvironment: S3TestServer.unrelatedVariables)
    XCTAssertEqual(result.status, 0, result.stderr)
    let record = try XCTUnwrap(try result.records().first)
    XCTAssertGreaterThan(record["chunk_bytes"]?.integerValue ?? 0, 200 << 20 / 2, "the chunk is most of the limit")
    XCTAssertEqual(record["chunk_hash"]?.stringValue, try ChunkReference.hashes(of: source, chunkDuration: 90).first)
    XCTAssertEqual(
      try server.store().head(.s3(bucket: bucket, key: "chunk_001.mp4"))?.sha256, record["chunk_hash"]?.stringValue)
  }
}
