import CliplineBlobStores
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// `chunk --to`: chunks uploaded to the real SeaweedFS while they are cut, their files gone once stored; the objects
/// are the chunks a cut to files makes, byte for byte.
final class ChunkToStorageTests: XCTestCase {
  var server: S3TestServer!
  var scratch: ScratchDirectory!
  let chunkDuration = 4

  override func setUpWithError() throws {
    server = try S3TestServer.require()
    scratch = try ScratchDirectory("chunk-to")
  }

  func fixture() throws -> String { try FixtureVideo.path(.init(seconds: 24, width: 1280, height: 720, gopFrames: 25)) }

  /// chunk `arguments` on `source`, working in `workDirectory` (-o; nil: a directory of its own under $TMPDIR).
  func chunk(
    _ arguments: [String], source: String, endpoint: String? = nil, workDirectory: String? = "work",
    environment: [String: String]? = nil
  ) throws -> ToolResult {
    var environment = environment ?? server.toolEnvironment
    if let endpoint { environment["AWS_ENDPOINT_URL_S3"] = endpoint }
    let work = workDirectory.map { ["-o", scratch.file($0)] } ?? []
    return try ToolInvocation.run(
      "chunk", ["--source", source, "--chunk-duration", String(chunkDuration)] + work + arguments,
      environment: environment, removingEnvironment: S3TestServer.unrelatedVariables)
  }

  func testChunksGoToBothDestinationsByteForByteAsFilesWouldBe() throws {
    let source = try fixture()
    let (videos, cache) = (try server.makeBucket("to-videos"), try server.makeBucket("to-cache"))
    let result = try chunk(
      [
        "--to", "s3://\(videos)/cam/chunk_{chunk_id:03}.mp4=cloud_stream_path",
        "--to", "s3://\(cache)/temp/chunk_{chunk_id:03}.mp4=cache_path", "--ttl", "cache_path=24h",
      ], source: source)
    XCTAssertEqual(result.status, 0, result.stderr)
    let records = try result.records()
    let reference = try ChunkReference.hashes(of: source, chunkDuration: chunkDuration)
    XCTAssertEqual(records.compactMap { $0["chunk_hash"]?.stringValue }, reference)
    XCTAssertEqual(records.compactMap { $0["chunk_id"]?.integerValue }, Array(1...Int64(reference.count)))
    let store = server.store()
    for record in records {
      let id = String(format: "%03d", record["chunk_id"]?.integerValue ?? 0)
      XCTAssertNil(record["chunk_path"], "a stored chunk's record names no file")
      XCTAssertEqual(record["cloud_stream_path"], .string("s3://\(videos)/cam/chunk_\(id).mp4"))
      XCTAssertEqual(record["cache_path"], .string("s3://\(cache)/temp/chunk_\(id).mp4"))
      XCTAssertNotNil(record["cache_path_expires_at"])
      for location in [
        BlobLocation.s3(bucket: videos, key: "cam/chunk_\(id).mp4"), .s3(bucket: cache, key: "temp/chunk_\(id).mp4"),
      ] {
        let downloaded = scratch.file("down-\(UUID().uuidString)")
        _ = try store.get(location, to: downloaded)
        XCTAssertEqual(try sha256Hex(ofFile: downloaded), record["chunk_hash"]?.stringValue, "\(location)")
        XCTAssertEqual(try store.head(location)?.sha256, record["chunk_hash"]?.stringValue, "the recorded SHA-256")
        unlink(downloaded)
      }
    }
    let work = (try? FileManager.default.subpathsOfDirectory(atPath: scratch.file("work"))) ?? []
    let files = work.filter {
      (try? FileManager.default.attributesOfItem(atPath: scratch.file("work/\($0)"))[.type]) as? FileAttributeType
        == .typeRegular
    }
    XCTAssertEqual(files, [], "no chunk file (nor one kept for reuse) is left")
  }

  /// Without -o, chunk --to works in a directory of its own under $TMPDIR: once every chunk is stored, or the
  /// storage refused them, nothing of it is left there (it left chunk.XXXXXX/PROCESS_ID each run).
  func testARunWithoutAWorkDirectoryLeavesNothingInTMPDIR() throws {
    let source = try fixture()
    let temporary = scratch.file("tmp")
    try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
    var environment = server.toolEnvironment
    environment["TMPDIR"] = temporary
    let bucket = try server.makeBucket("to-tmpdir")
    let closed = "http://127.0.0.1:\(try PrometheusServer.freePort())"  // nothing listens: the upload fails
    for endpoint in [nil, closed] {
      let result = try chunk(
        ["--to", "s3://\(bucket)/{chunk_id}.mp4=cloud_stream_path"], source: source, endpoint: endpoint,
        workDirectory: nil, environment: environment)
      XCTAssertEqual(result.status, endpoint == nil ? 0 : 69, result.stderr)
      XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temporary), [], result.stderr)
    }
  }

  /// Bytes flipped on the way up: the storage refuses the body against its checksum (the chunk_hash taken when
  /// it was cut), the cut stops with 65, and no record or object is left for that chunk.
  func testAChunkTheStorageRefusesStopsTheCutWithNoRecordForIt() throws {
    let bucket = try server.makeBucket("to-refused")
    let proxy = try FaultProxy(upstream: server.endpoint, corrupt: "requests")
    let result = try chunk(
      ["--to", "s3://\(bucket)/chunk_{chunk_id:03}.mp4=cloud_stream_path"], source: try fixture(),
      endpoint: proxy.endpoint)
    XCTAssertEqual(result.status, ExitStatus.dataError.rawValue, result.stderr)
    XCTAssertEqual(result.stdout, "")
    XCTAssertNil(try server.store().head(.s3(bucket: bucket, key: "chunk_001.mp4")))
  }
}

extension ChunkToStorageTests {
  /// SIGTERM while chunks go up a slow link: exit 75, every chunk whose record was written is stored, and no open
  /// upload is left behind. (A chunk stored just before the signal may have no record yet, as with blob-put: a
  /// redelivered message writes the same keys again.)
  func testSIGTERMMidUploadExits75AndLeavesOnlyRecordedChunks() throws {
    let bucket = try server.makeBucket("to-sigterm")
    let proxy = try FaultProxy(upstream: server.endpoint, rate: 2)
    var environment = server.toolEnvironment
    environment["AWS_ENDPOINT_URL_S3"] = proxy.endpoint
    let source = try fixture()
    let tool = try RunningTool(
      "chunk",
      [
        "--source", source, "--chunk-duration", String(chunkDuration), "-o", scratch.file("work"),
        "--to", "s3://\(bucket)/chunk_{chunk_id:03}.mp4=cloud_stream_path",
      ], environment: environment, removingEnvironment: S3TestServer.unrelatedVariables)
    try tool.closeInput()
    // The 13 MB source comes from local disk; its ~2 MB chunks go up at 2 MB/s: still uploading after 2 s.
    Thread.sleep(forTimeInterval: 2)
    tool.terminate()
    let output = String(decoding: tool.finish(), as: UTF8.self)
    XCTAssertEqual(tool.status, 75)
    let recorded = Set(
      try output.split(separator: "\n").map { try Record(json: String($0)) }.compactMap { $0["chunk_id"]?.integerValue }
    )
    XCTAssertLessThan(recorded.count, 6, "the cut was stopped before the end")
    for id in recorded {
      XCTAssertNotNil(
        try server.store().head(.s3(bucket: bucket, key: String(format: "chunk_%03d.mp4", id))), "chunk \(id)")
    }
    XCTAssertEqual(try server.store().openMultipartUploads(bucket: bucket), [])
    withExtendedLifetime(proxy) {}
  }
}

extension ChunkToStorageTests {
  /// A streamed body from a download cannot be sent twice, but a chunk's bytes can: throttled uploads (503
  /// SlowDown to the first three requests, the first chunk's PUT and its two resends) are sent again by the store
  /// and every chunk arrives whole.
  func testThrottledUploadsAreSentAgain() throws {
    let bucket = try server.makeBucket("to-slowdown")
    let proxy = try FaultProxy(upstream: server.endpoint, failFirst: 3)
    let source = try fixture()
    let result = try chunk(
      ["--to", "s3://\(bucket)/chunk_{chunk_id:03}.mp4=cloud_stream_path"], source: source, endpoint: proxy.endpoint)
    XCTAssertEqual(result.status, 0, result.stderr)
    let records = try result.records()
    XCTAssertEqual(
      records.compactMap { $0["chunk_hash"]?.stringValue },
      try ChunkReference.hashes(of: source, chunkDuration: chunkDuration))
    for record in records {
      let key = String(format: "chunk_%03d.mp4", record["chunk_id"]?.integerValue ?? 0)
      XCTAssertEqual(try server.store().head(.s3(bucket: bucket, key: key))?.sha256, record["chunk_hash"]?.stringValue)
    }
  }
}

extension ChunkToStorageTests {
  /// The storage flags blob-put has: with no endpoint in the environment, --endpoint-url and --attempts reach the
  /// source's S3 and the destinations'.
  func testStorageFlagsReachTheSourceAndTheDestinations() throws {
    let bucket = try server.makeBucket("to-flags")
    let source = try fixture()
    _ = try server.store().put(
      .file(source), to: .s3(bucket: bucket, key: "source.mp4"), options: BlobPutOptions(contentType: "video/mp4"))
    var environment = server.toolEnvironment
    environment.removeValue(forKey: "AWS_ENDPOINT_URL_S3")
    let result = try ToolInvocation.run(
      "chunk",
      [
        "--source", "s3://\(bucket)/source.mp4", "--chunk-duration", String(chunkDuration), "-o", scratch.file("work"),
        "--to", "s3://\(bucket)/out/chunk_{chunk_id:03}.mp4=cloud_stream_path", "--endpoint-url", server.endpoint,
        "--attempts", "2",
      ], environment: environment, removingEnvironment: S3TestServer.unrelatedVariables + ["AWS_ENDPOINT_URL_S3"])
    XCTAssertEqual(result.status, 0, result.stderr)
    let records = try result.records()
    XCTAssertEqual(
      records.compactMap { $0["chunk_hash"]?.stringValue },
      try ChunkReference.hashes(of: source, chunkDuration: chunkDuration))
    for record in records {
      let key = String(format: "out/chunk_%03d.mp4", record["chunk_id"]?.integerValue ?? 0)
      XCTAssertEqual(try server.store().head(.s3(bucket: bucket, key: key))?.sha256, record["chunk_hash"]?.stringValue)
    }
  }
}
