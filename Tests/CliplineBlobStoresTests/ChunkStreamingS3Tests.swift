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

  func chunk(_ url: String) throws -> ToolResult {
    try ToolInvocation.run(
      "chunk", ["--verbose", "--source", url, "--chunk-duration", String(chunkDuration), "-o", scratch.file("out")],
      environment: server.toolEnvironment, removingEnvironment: S3TestServer.unrelatedVariables)
  }

  func upload(_ path: String, as key: String, to bucket: String) throws -> String {
    _ = try server.store().put(file: path, to: .s3(bucket: bucket, key: key), options: BlobPutOptions())
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
}
