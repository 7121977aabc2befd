import CliplineRecords
import CliplineTestSupport
import Foundation
import XCTest

/// `gql-mutate --dry-run` against the real GraphQL server: each record checked as a real run checks it, one stderr
/// line naming the mutation and its variables, the record written on marked, and no request at all.
final class GQLMutateDryRunTests: XCTestCase {
  func testDryRunSaysEachMutationAndSendsNothing() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    let chunks = (1...2).map { ChunkRecords.batch(processID: processID, chunkID: $0) }

    let result = try server.run(["--op", "create-chunk", "--dry-run"], stdin: ChunkRecords.lines(chunks))

    XCTAssertEqual(result.status, 0, result.stderr)
    let records = try result.records()
    XCTAssertEqual(records.count, 2)
    XCTAssertEqual(records.map { $0["dry_run"] }, [true, true])
    XCTAssertEqual(records.map { $0["chunk_hash"] }, chunks.map { $0["chunk_hash"] })
    XCTAssertNil(records.first?["chunk_record_id"], "no response to merge")
    let lines = result.stderr.split(separator: "\n").filter { $0.contains("dry run: would send CreateBatchChunk") }
    guard lines.count == 2 else { return XCTFail(result.stderr) }
    XCTAssertTrue(lines[0].contains("\(processID)") && lines[0].contains("(line 1)"), result.stderr)
    XCTAssertTrue(lines[1].contains("chunk_2.mp4"), result.stderr)
    XCTAssertEqual(try server.stats().requests, 0, "nothing sent")
    XCTAssertTrue(try server.rows("batch_chunks", processID: processID).isEmpty)
  }

  func testDryRunStillRefusesABadRecordWithItsCode() throws {
    let server = try GraphQLTestServer()
    var sourceURL = ChunkRecords.batch(processID: GraphQLTestServer.newProcessID(), chunkID: 1)
    sourceURL["cloud_stream_path"] = sourceURL["source_stream_path"]
    var unhashed = ChunkRecords.batch(processID: GraphQLTestServer.newProcessID(), chunkID: 2)
    unhashed.fields.removeValue(forKey: "chunk_hash")
    for (record, field) in [(sourceURL, "cloud_stream_path"), (unhashed, "chunk_hash")] {
      let result = try server.run(["--dry-run", "--op", "create-chunk"], stdin: record.jsonText + "\n")
      XCTAssertEqual(result.status, 65, result.stderr)
      XCTAssertTrue(result.stderr.contains("\"\(field)\""), result.stderr)
      XCTAssertEqual(result.stdout, "")
    }
    XCTAssertEqual(try server.stats().requests, 0, "nothing sent")
  }

  func testAtEndDryRunSaysTheStatusItWouldSet() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    let result = try server.run(
      [
        "--op", "set-status", "--status", "COMPLETED", "--at-end", "--dry-run", "--field", "process_id:=\(processID)",
        "--field", "inference_modality=batch",
      ])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(
      try result.records(),
      [Record(["process_id": .integer(Int64(processID)), "inference_modality": "batch", "dry_run": true])])
    XCTAssertTrue(
      result.stderr.contains("would send UpdateBatchVideoProcessingStatus") && result.stderr.contains("COMPLETED"),
      result.stderr)
    XCTAssertEqual(try server.stats().requests, 0)
    XCTAssertTrue(try server.rows("status_history", processID: processID).isEmpty)
  }
}
