import CliplineBlobStores
import CliplineRecords
import CliplineTestSupport
import Foundation
import XCTest

/// `--dry-run` on the tools that store or remove: each record checked as the real run checks it, the line naming
/// what would be done, and nothing written to or removed from the S3 server.
final class DryRunTests: XCTestCase {
  var server: S3TestServer!
  var scratch: ScratchDirectory!

  override func setUpWithError() throws {
    server = try S3TestServer.require()
    scratch = try ScratchDirectory("dry-run")
  }

  func testBlobPutDryRunNamesEachURLAndStoresNothing() throws {
    let bucket = try server.makeBucket("dry")
    let chunk = scratch.file("chunk_007.mp4")
    try writeRandomFile(chunk, bytes: 5000)
    let input = Record(["process_id": 101, "chunk_id": 7, "chunk_path": .string(chunk)]).jsonText + "\n"
    // A wrong secret: a dry run asks no service, so it cannot notice.
    let result = try server.runTool(
      "blob-put",
      [
        "--dry-run", "--remove-source", "--to", "s3://\(bucket)/{process_id}/chunk_{chunk_id:03}.mp4=cloud_stream_path",
        "--to", "s3://\(bucket)/temp/{process_id}/{chunk_id:03}.mp4=cache_path", "--ttl", "cache_path=24h",
      ], stdin: input, environment: ["AWS_SECRET_ACCESS_KEY": "not-the-secret"])
    XCTAssertEqual(result.status, 0, result.stderr)
    let output = try Record(json: result.stdout)
    XCTAssertEqual(output["cloud_stream_path"], .string("s3://\(bucket)/101/chunk_007.mp4"))
    XCTAssertEqual(output["cache_path"], .string("s3://\(bucket)/temp/101/007.mp4"))
    XCTAssertNotNil(output["cache_path_expires_at"])
    XCTAssertEqual(output["chunk_bytes"], 5000)
    XCTAssertEqual(output["dry_run"], true)
    XCTAssertNil(output["cloud_stream_path_etag"], "no service answered")
    XCTAssertFalse(result.stderr.contains("not-the-secret"))
    XCTAssertEqual(try server.store().list(prefix: .s3(bucket: bucket, key: "")), [], "nothing written")
    XCTAssertTrue(FileManager.default.fileExists(atPath: chunk), "--remove-source removes nothing in a dry run")
  }

  func testBlobPutDryRunRefusesABadRecordAsTheUploadWould() throws {
    let bucket = try server.makeBucket("dry-bad")
    let chunk = scratch.file("chunk.mp4")
    try writeRandomFile(chunk, bytes: 100)
    let climbing = Record(["chunk_path": .string(chunk), "camera_id": "../x"]).jsonText + "\n"
    let refused = try server.runTool(
      "blob-put", ["--dry-run", "--to", "s3://\(bucket)/{camera_id}/c.mp4"], stdin: climbing)
    XCTAssertEqual(refused.status, 65, refused.stderr)
    XCTAssertTrue(refused.stderr.contains("camera_id"), refused.stderr)
    let missing = Record(["chunk_path": .string(scratch.file("absent.mp4"))]).jsonText + "\n"
    let absent = try server.runTool("blob-put", ["--dry-run", "--to", "s3://\(bucket)/c.mp4"], stdin: missing)
    XCTAssertEqual(absent.status, 66, absent.stderr)
    XCTAssertEqual(try server.store().list(prefix: .s3(bucket: bucket, key: "")), [], "nothing written")
  }

  func testBlobRmDryRunNamesEachObjectAndRemovesNothing() throws {
    let bucket = try server.makeBucket("dry-rm")
    let chunk = scratch.file("chunk.mp4")
    try writeRandomFile(chunk, bytes: 100)
    let stored = try server.runTool(
      "blob-put", ["--to", "s3://\(bucket)/temp/c.mp4=cache_path"],
      stdin: Record(["chunk_path": .string(chunk)]).jsonText + "\n")
    XCTAssertEqual(stored.status, 0, stored.stderr)
    let url = "s3://\(bucket)/temp/c.mp4"

    let records = try server.runTool(
      "blob-rm", ["--dry-run", "--field", "cache_path"], stdin: Record(["cache_path": .string(url)]).jsonText + "\n")
    XCTAssertEqual(records.status, 0, records.stderr)
    XCTAssertEqual(try records.records(), [Record(["cache_path": .string(url), "dry_run": true])])
    XCTAssertTrue(records.stderr.contains("dry run: would remove \(url) (line 1)"), records.stderr)
    let named = try server.runTool("blob-rm", ["--dry-run", url])
    XCTAssertEqual(named.status, 0, named.stderr)
    XCTAssertTrue(named.stderr.contains("dry run: would remove \(url)"), named.stderr)
    let unnamed = try server.runTool("blob-rm", ["--dry-run", "--field", "cache_path"], stdin: #"{"other":1}"# + "\n")
    XCTAssertEqual(unnamed.status, 65, "a record without the field fails as without --dry-run: \(unnamed.stderr)")
    XCTAssertNotNil(try server.store().head(.s3(bucket: bucket, key: "temp/c.mp4")), "nothing removed")
  }
}
