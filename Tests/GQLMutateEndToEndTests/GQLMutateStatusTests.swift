import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// End to end: `gql-mutate --op set-status` moving jobs through QUEUED → PROCESSING → COMPLETED | FAILED.
final class GQLMutateStatusTests: XCTestCase {
  func testAtEndSetsProcessingAfterAllChunksThenCompletedFromFlags() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    let chunks = (1...3).map { ChunkRecords.batch(processID: processID, chunkID: $0) }

    // M0's step 8: after all chunks, PROCESSING; the chunk records pass through untouched.
    let processing = try server.run(
      ["--op", "set-status", "--status", "PROCESSING", "--at-end"], stdin: ChunkRecords.lines(chunks))
    XCTAssertEqual(processing.status, 0, processing.stderr)
    XCTAssertEqual(try processing.records(), chunks)
    XCTAssertEqual(try server.stats().requests, 1)
    XCTAssertEqual(try server.rows("batch_video_processes", processID: processID).first?["status"], "PROCESSING")

    // Later, with no input at all: the record comes from flags and is written with the new status.
    let completed = try server.run(
      [
        "--op", "set-status", "--status", "COMPLETED", "--at-end", "--field", "process_id:=\(processID)",
        "--field", "inference_modality=batch",
      ])
    XCTAssertEqual(completed.status, 0, completed.stderr)
    XCTAssertEqual(
      try completed.records(),
      [
        Record([
          "process_id": .integer(Int64(processID)), "inference_modality": "batch", "processing_status": "COMPLETED",
        ])
      ])

    let history = try server.rows("status_history", processID: processID)
    XCTAssertEqual(history.map { $0["from_status"] }, ["QUEUED", "PROCESSING"])
    XCTAssertEqual(history.map { $0["to_status"] }, ["PROCESSING", "COMPLETED"])
    XCTAssertEqual(history.map { $0["kind"] }, ["batch", "batch"])
    XCTAssertTrue(try server.rows("cam_video_processes", processID: processID).isEmpty)
  }

  func testLiveJobUsesTheCameraMutationPerRecord() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    let chunk = ChunkRecords.live(processID: processID, chunkID: 1)

    let failed = try server.run(["--op", "set-status", "--status", "FAILED"], stdin: ChunkRecords.lines([chunk]))

    XCTAssertEqual(failed.status, 0, failed.stderr)
    XCTAssertEqual(try failed.records().first?["processing_status"], "FAILED")
    XCTAssertEqual(try server.rows("cam_video_processes", processID: processID).first?["status"], "FAILED")
    XCTAssertTrue(try server.rows("batch_video_processes", processID: processID).isEmpty)
    let history = try server.rows("status_history", processID: processID)
    XCTAssertEqual(history.map { $0["kind"] }, ["cam"])
  }

  func testForbiddenMoveFailsWith65NamingOperationPathAndServerMessage() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()

    let result = try server.run(
      [
        "--op", "set-status", "--status", "COMPLETED", "--at-end", "--field", "process_id:=\(processID)",
        "--field", "inference_modality=live",
      ])

    XCTAssertEqual(result.status, 65)
    XCTAssertEqual(result.stdout, "")
    XCTAssertEqual(
      result.stderr,
      "gql-mutate: error: operation UpdateCamVideoProcessingStatus failed: at updateCamVideoProcessingStatus: "
        + "process \(processID) cannot move from QUEUED to COMPLETED\n")
    XCTAssertEqual(try server.stats().requests, 1, "a GraphQL error is not retried")
    XCTAssertTrue(try server.rows("cam_video_processes", processID: processID).isEmpty)
  }

  func testAtEndWithoutInputOrFieldsSaysWhereFieldsComeFrom() throws {
    let server = try GraphQLTestServer()

    let result = try server.run(["--op", "set-status", "--status", "PROCESSING", "--at-end"])

    XCTAssertEqual(result.status, 65)
    XCTAssertTrue(result.stderr.contains("field \"inference_modality\" is missing"), result.stderr)
    XCTAssertTrue(result.stderr.contains("there was no input record: give the fields with --field"), result.stderr)
    XCTAssertEqual(try server.stats().requests, 0)
  }
}
