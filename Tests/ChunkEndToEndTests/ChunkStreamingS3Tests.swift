import CliplineBlobStores
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// `chunk` cuts an s3:// source while parallel ranged GETs bring it in, from the real SeaweedFS: the chunks are the
/// ones a local cut makes, with the index at the front or at the end (then fetched first).
final class ChunkStreamingS3Tests: XCTestCase {
  var server: S3TestServer!
  var scratch: ScratchDirectory!
  let chunkDuration = 4

  override func setUpWithError() throws {
    server = try S3TestServer.require()
    scratch = try ScratchDirectory("s3-stream")
  }

  /// A source larger than several download pieces (4 MiB each), so they arrive in parallel and out of order.
  func fixture() throws -> String { try FixtureVideo.path(.init(seconds: 24, width: 1280, height: 720, gopFrames: 25)) }

  func chunk(_ url: String, through proxy: FaultProxy? = nil) throws -> ToolResult {
    var environment = server.toolEnvironment
    if let proxy { environment["AWS_ENDPOINT_URL_S3"] = proxy.endpoint }
    return try ToolInvocation.run(
      "chunk", ["--verbose", "--source", url, "--chunk-duration", String(chunkDuration), "-o", scratch.file("out")],
      environment: environment, removingEnvironment: S3TestServer.unrelatedVariables)
  }

  func upload(_ path: String, as key: String, to bucket: String) throws -> String {
    _ = try server.store().put(.file(path), to: .s3(bucket: bucket, key: key), options: BlobPutOptions())
    return "s3://\(bucket)/\(key)"
  }

  func testChunksFromParallelRangedGETsEqualALocalCut() throws {
    let source = try fixture()
    let size = try FileManager.default.attributesOfItem(atPath: source)[.size] as! NSNumber
    XCTAssertGreaterThan(size.intValue, 3 * (4 << 20), "the source spans several download pieces")
    let bucket = try server.makeBucket("stream")
    let result = try chunk(try upload(source, as: "front.mp4", to: bucket))
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stderr.contains("opened s3://\(bucket)/front.mp4 after its first"), result.stderr)
    XCTAssertEqual(
      try result.records().compactMap { $0["chunk_hash"]?.stringValue },
      try ChunkReference.hashes(of: source, chunkDuration: chunkDuration))
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: scratch.file("out")).filter { $0.hasPrefix("source-") }, [])
  }

  func testAnIndexAtTheEndIsFetchedBeforeTheRest() throws {
    let source = try ChunkReference.moovAtEnd(try fixture(), in: scratch.path)
    let bucket = try server.makeBucket("moov")
    let result = try chunk(try upload(source, as: "end.mp4", to: bucket))
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stderr.contains("keeps its index at the end"), result.stderr)
    XCTAssertEqual(
      try result.records().compactMap { $0["chunk_hash"]?.stringValue },
      try ChunkReference.hashes(of: source, chunkDuration: chunkDuration))
  }

  func testAMissingObjectIsNoInputAndLeavesNothing() throws {
    let bucket = try server.makeBucket("absent")
    let result = try chunk("s3://\(bucket)/absent.mp4")
    XCTAssertEqual(result.status, ExitStatus.noInput.rawValue, result.stderr)
    XCTAssertEqual(result.stdout, "")
    XCTAssertEqual(
      (try? FileManager.default.contentsOfDirectory(atPath: scratch.file("out")))?.filter { $0.hasPrefix("source-") }
        ?? [], [])
  }

  /// The pieces of the window are ranged GETs like any other request: throttling answers are retried, and the cut
  /// is the same.
  func testSlowDownAnswersToTheRangedGETsAreRetriedAndTheChunksAreTheSame() throws {
    let source = try fixture()
    let bucket = try server.makeBucket("slow")
    let url = try upload(source, as: "front.mp4", to: bucket)
    let proxy = try FaultProxy(upstream: server.endpoint, failFirst: 4)
    let result = try chunk(url, through: proxy)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(
      try result.records().compactMap { $0["chunk_hash"]?.stringValue },
      try ChunkReference.hashes(of: source, chunkDuration: chunkDuration))
  }

  /// A byte flipped in every answer on the way down: the second reader of the window, which hashes every byte
  /// against the SHA-256 recorded at upload (as metadata: `blob-put`'s single PUT), fails the request with 65.
  func testACorruptedSourceFailsItsRecordedSHA256WithExit65() throws {
    let bucket = try server.makeBucket("flipped")
    let stored = try ToolInvocation.run(
      "blob-put", ["--to", "s3://\(bucket)/front.mp4", "--multipart-threshold", "1G"],
      stdin: Record(["chunk_path": .string(try fixture())]).jsonText + "\n", environment: server.toolEnvironment,
      removingEnvironment: S3TestServer.unrelatedVariables)
    XCTAssertEqual(stored.status, 0, stored.stderr)
    let proxy = try FaultProxy(upstream: server.endpoint, corrupt: "responses")
    let result = try chunk("s3://\(bucket)/front.mp4", through: proxy)
    XCTAssertEqual(result.status, ExitStatus.dataError.rawValue, result.stderr)
    XCTAssertTrue(result.stderr.contains("integrity check failed: SHA-256"), result.stderr)
  }

  /// The same with a multipart upload, whose SHA-256 is a tag: the flipped byte garbles the tags answer too, which
  /// read as "no recorded digest" and let the corrupted source be cut unverified (exit 0). A tags answer that is
  /// not whole is now an error (75, retried first), so nothing is cut from bytes that could not be checked.
  func testACorruptedTagsAnswerIsAnErrorNotAMissingDigest() throws {
    let bucket = try server.makeBucket("flipped-tags")
    let stored = try ToolInvocation.run(
      "blob-put", ["--to", "s3://\(bucket)/front.mp4", "--multipart-threshold", "5M", "--part-size", "5M"],
      stdin: Record(["chunk_path": .string(try fixture())]).jsonText + "\n", environment: server.toolEnvironment,
      removingEnvironment: S3TestServer.unrelatedVariables)
    XCTAssertEqual(stored.status, 0, stored.stderr)
    let object = try XCTUnwrap(try server.store().head(.s3(bucket: bucket, key: "front.mp4")))
    XCTAssertTrue(object.etag?.contains("-") ?? false, "a multipart upload: its SHA-256 is a tag")
    XCTAssertNotNil(object.sha256)
    let proxy = try FaultProxy(upstream: server.endpoint, corrupt: "responses")
    let result = try chunk("s3://\(bucket)/front.mp4", through: proxy)
    XCTAssertEqual(result.status, ExitStatus.temporaryFailure.rawValue, result.stderr)
    XCTAssertTrue(result.stderr.contains("tags answer is not UTF-8"), result.stderr)
    XCTAssertEqual(result.stdout, "")
  }
}
