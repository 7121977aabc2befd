import CliplineBlobStores
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// A field that fills the bucket or container part of a destination (`s3://{cache_container_name}/temp/…`) is a
/// name once the template is filled: a value with "/" would end the name early and write into another bucket's
/// keys. Refused with 65 and one sentence naming the field, before anything is written, by every tool that uploads.
final class DestinationNameTests: XCTestCase {
  var server: S3TestServer!
  var scratch: ScratchDirectory!

  override func setUpWithError() throws {
    server = try S3TestServer.require()
    scratch = try ScratchDirectory("destination-names")
  }

  func run(_ tool: String, _ arguments: [String], stdin: String) throws -> ToolResult {
    try ToolInvocation.run(
      tool, arguments, stdin: stdin, environment: server.toolEnvironment,
      removingEnvironment: S3TestServer.unrelatedVariables)
  }

  /// The values: a bucket that exists followed by a key prefix, a trailing "/", and several levels.
  func slashedValues(_ bucket: String) -> [String] { ["\(bucket)/sub", "\(bucket)/", "\(bucket)/a/b"] }

  func assertRefused(_ result: ToolResult, field: String, _ value: String, line: UInt = #line) {
    XCTAssertEqual(result.status, 65, "\(value): \(result.stderr)", line: line)
    XCTAssertEqual(result.stdout, "", line: line)
    XCTAssertTrue(
      result.stderr.contains("\"\(field)\"") && result.stderr.contains("bucket or container"), result.stderr, line: line
    )
    // One error sentence (chunk may also say what it had cut by then).
    let errors = result.stderr.split(separator: "\n").filter { $0.contains(": error") }
    XCTAssertEqual(errors.count, 1, result.stderr, line: line)
  }

  func testBlobPutRefusesASlashInTheBucketPart() throws {
    let bucket = try server.makeBucket("rtb")
    let file = scratch.file("chunk.mp4")
    try writeRandomFile(file, bytes: 1000)
    for template in ["s3://{cache_container_name}/temp/1/chunk.mp4", "s3://{cache_container_name}-x/temp/chunk.mp4"] {
      for value in slashedValues(bucket) {
        let result = try run(
          "blob-put", ["--to", "\(template)=cache_path"],
          stdin: Record(["chunk_path": .string(file), "cache_container_name": .string(value)]).jsonText + "\n")
        assertRefused(result, field: "cache_container_name", value)
      }
    }
    XCTAssertEqual(try server.store().list(prefix: .s3(bucket: bucket, key: "")), [], "nothing written")

    // A "/" after the bucket is a key prefix, as before; and a plain bucket name fills the bucket part.
    let record = Record([
      "chunk_path": .string(file), "cache_container_name": .string(bucket), "prefix": .string("live/cam"),
    ])
    let stored = try run(
      "blob-put", ["--to", "s3://{cache_container_name}/{prefix}/chunk.mp4=cache_path"], stdin: record.jsonText + "\n")
    XCTAssertEqual(stored.status, 0, stored.stderr)
    XCTAssertNotNil(try server.store().head(.s3(bucket: bucket, key: "live/cam/chunk.mp4")))
  }

  func testChunkToRefusesASlashInTheBucketPart() throws {
    let bucket = try server.makeBucket("rtb-chunk")
    let source = try FixtureVideo.path(.init(seconds: 8, width: 320, height: 240, gopFrames: 25))
    for value in slashedValues(bucket) {
      let request = Record([
        "process_id": 7, "cloud_stream_path": .string(source), "cache_container_name": .string(value),
        "video_preprocessing": ["chunk_duration": 4],
      ])
      let result = try run(
        "chunk",
        [
          "-o", scratch.file("work"), "--to",
          "s3://{cache_container_name}/temp/{process_id}/chunk_{chunk_id:03}.mp4=cache_path",
        ], stdin: request.jsonText + "\n")
      assertRefused(result, field: "cache_container_name", value)
    }
    XCTAssertEqual(try server.store().list(prefix: .s3(bucket: bucket, key: "")), [], "nothing written")
  }

  /// Azure's account and container are both names: a "/" in either part is refused, one in the blob name is not.
  func testTheNamePartsOfEachScheme() throws {
    let cases: [(before: String, names: Bool)] = [
      ("s3://", true), ("s3://pre-", true), ("s3://bucket/", false), ("s3://bucket/a/", false),
      ("az://", true), ("az://account/", true), ("az://account/con", true), ("az://account/container/", false),
      ("file:///data/", false), ("", false),
    ]
    for (before, names) in cases {
      XCTAssertEqual(
        (try? BlobKeyPolicy.checkFieldValue("a/b", field: "f", before: before)) == nil, names, "after \"\(before)\"")
      XCTAssertEqual(try BlobKeyPolicy.checkFieldValue("ab", field: "f", before: before), "ab")
    }
  }
}
