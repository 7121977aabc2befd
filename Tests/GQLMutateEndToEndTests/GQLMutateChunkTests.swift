import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// End to end: the built `gql-mutate --op create-chunk` against the real GraphQL server over SQLite.
final class GQLMutateChunkTests: XCTestCase {
  func testBatchChunkRecordBecomesExactlyOneRowWithTheRightValues() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    let chunk = ChunkRecords.batch(processID: processID, chunkID: 3)

    let result = try server.run(["--op", "create-chunk"], stdin: ChunkRecords.lines([chunk]))

    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(result.stderr, "")
    let output = try result.records()
    XCTAssertEqual(output.count, 1)
    let rows = try server.rows("batch_chunks", processID: processID)
    XCTAssertEqual(rows.count, 1)
    let row = try XCTUnwrap(rows.first)
    XCTAssertEqual(row["process_id"], .string(String(processID)))
    XCTAssertEqual(row["chunk_hash"], chunk["chunk_hash"])
    XCTAssertEqual(row["chunk_duration"], .double(60))
    XCTAssertEqual(row["start_time"], .double(120))
    XCTAssertEqual(row["end_time"], .double(180))
    XCTAssertEqual(row["time_offset"], .double(120))
    XCTAssertEqual(row["cloud_path"], chunk["cloud_stream_path"])
    XCTAssertTrue(try server.rows("live_chunks", processID: processID).isEmpty)
    // Every input field passes through; the row's id is added.
    var expected = chunk
    expected["chunk_record_id"] = .string(String(row["id"]?.integerValue ?? -1))
    XCTAssertEqual(output.first, expected)
  }

  func testLiveChunkRecordBecomesOneLiveRowWithItsAbsoluteTimes() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    let chunk = ChunkRecords.live(processID: processID, chunkID: 2)

    let result = try server.run(["--op", "create-chunk"], stdin: ChunkRecords.lines([chunk]))

    XCTAssertEqual(result.status, 0, result.stderr)
    let rows = try server.rows("live_chunks", processID: processID)
    XCTAssertEqual(rows.count, 1)
    XCTAssertEqual(rows.first?["chunk_start_time"], "2026-02-26T14:30:30Z")
    XCTAssertEqual(rows.first?["chunk_end_time"], "2026-02-26T14:31:00Z")
    XCTAssertEqual(rows.first?["start_time"], .double(30))
    XCTAssertEqual(rows.first?["end_time"], .double(60))
    XCTAssertEqual(rows.first?["cloud_path"], chunk["cloud_stream_path"])
    XCTAssertEqual(rows.first?["chunk_hash"], chunk["chunk_hash"])
    XCTAssertTrue(try server.rows("batch_chunks", processID: processID).isEmpty)
    XCTAssertEqual(try result.records().first?["chunk_record_id"], .string(String(rows[0]["id"]?.integerValue ?? -1)))
  }

  func testChunkWhoseURLIsItsSourceIsRefusedAndRecordsNoRow() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    var chunk = ChunkRecords.batch(processID: processID, chunkID: 1)
    chunk["cloud_stream_path"] = chunk["source_stream_path"]

    let result = try server.run(["--op", "create-chunk"], stdin: ChunkRecords.lines([chunk]))

    XCTAssertEqual(result.status, 65, result.stderr)
    XCTAssertTrue(
      result.stderr.contains(#"error (line 1): field "cloud_stream_path" is the same URL as source_stream_path"#),
      result.stderr)
    XCTAssertEqual(result.stdout, "")
    XCTAssertTrue(try server.rows("batch_chunks", processID: processID).isEmpty)
  }

  /// blob-put's default field is `url`: the chunk then has no URL of its own, and the source is never used instead.
  func testChunkStoredUnderAnotherFieldIsRefusedAndRecordsNoRow() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    var chunk = ChunkRecords.batch(processID: processID, chunkID: 1)
    chunk["url"] = chunk["cloud_stream_path"]
    chunk["cloud_stream_path"] = nil

    let result = try server.run(["--op", "create-chunk"], stdin: ChunkRecords.lines([chunk]))

    XCTAssertEqual(result.status, 65, result.stderr)
    XCTAssertTrue(result.stderr.contains(#"cloud_stream_path"#), result.stderr)
    XCTAssertTrue(try server.rows("batch_chunks", processID: processID).isEmpty)
  }

  func testRedeliveredChunkStillMakesOneRow() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    let input = ChunkRecords.lines([ChunkRecords.batch(processID: processID, chunkID: 1)])

    let first = try server.run(["--op", "create-chunk"], stdin: input)
    let second = try server.run(["--op", "create-chunk"], stdin: input)

    XCTAssertEqual(first.status, 0, first.stderr)
    XCTAssertEqual(second.status, 0, second.stderr)
    XCTAssertEqual(try server.rows("batch_chunks", processID: processID).count, 1)
    XCTAssertEqual(first.stdout, second.stdout)
  }

  func testBatchedRequestsWriteTheSameRowsAsOneByOne() throws {
    let server = try GraphQLTestServer()
    let oneByOne = GraphQLTestServer.newProcessID()
    let batched = GraphQLTestServer.newProcessID()
    func chunks(_ processID: Int) -> [Record] {
      (1...10).map {
        $0 % 3 == 0
          ? ChunkRecords.live(processID: processID, chunkID: $0)
          : ChunkRecords.batch(processID: processID, chunkID: $0)
      }
    }

    let single = try server.run(["--op", "create-chunk"], stdin: ChunkRecords.lines(chunks(oneByOne)))
    let requestsAfterSingle = try server.stats().requests
    let batch = try server.run(["--op", "create-chunk", "--batch", "4"], stdin: ChunkRecords.lines(chunks(batched)))

    XCTAssertEqual(single.status, 0, single.stderr)
    XCTAssertEqual(batch.status, 0, batch.stderr)
    XCTAssertEqual(requestsAfterSingle, 10)
    XCTAssertEqual(try server.stats().requests - requestsAfterSingle, 3, "10 records in batches of 4")
    // Rows of the two processes compare equal once the process id (and what embeds it) is taken out.
    func comparable(_ rows: [[String: JSONValue]], _ processID: Int) -> [[String: JSONValue]] {
      let chunkIDByHash = Dictionary(
        uniqueKeysWithValues: chunks(processID).map { ($0["chunk_hash"]!.stringValue!, $0["chunk_id"]!) })
      return rows.map { row in
        var row = row
        for volatile in ["id", "created_at", "updated_at", "process_id"] { row.removeValue(forKey: volatile) }
        row["chunk_hash"] = chunkIDByHash[row["chunk_hash"]?.stringValue ?? ""]
        row["cloud_path"] = .string(
          row["cloud_path"]!.stringValue!.replacingOccurrences(of: "/\(processID)/", with: "/P/"))
        return row
      }
    }
    for table in ["batch_chunks", "live_chunks"] {
      let expected = comparable(try server.rows(table, processID: oneByOne), oneByOne)
      XCTAssertEqual(expected.count, table == "batch_chunks" ? 7 : 3)
      XCTAssertEqual(comparable(try server.rows(table, processID: batched), batched), expected, table)
    }
    // Output records come in input order, each with its own row id.
    let output = try batch.records()
    XCTAssertEqual(output.map { $0["chunk_id"] }, (1...10).map { .integer(Int64($0)) })
    let liveIDs = try server.rows("live_chunks", processID: batched).map { String($0["id"]!.integerValue!) }
    XCTAssertEqual(
      output.filter { $0["inference_modality"] == "live" }.map { $0["chunk_record_id"]?.stringValue ?? "" },
      liveIDs)
  }

  func testConnectionIsReusedAcrossRecords() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    let records = (1...20).map { ChunkRecords.batch(processID: processID, chunkID: $0) }

    let result = try server.run(["--op", "create-chunk"], stdin: ChunkRecords.lines(records))

    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(result.stdoutLines.count, 20)
    let stats = try server.stats()
    XCTAssertEqual(stats.requests, 20)
    XCTAssertEqual(stats.connections, 1, "one connection for every request")
  }

  func testRecordMissingAFieldIsReportedBeforeSendingAndTheOthersGoOn() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    var broken = ChunkRecords.batch(processID: processID, chunkID: 2)
    broken["chunk_hash"] = nil
    var noModality = ChunkRecords.batch(processID: processID, chunkID: 4)
    noModality["inference_modality"] = "archive"
    let input =
      ChunkRecords.lines([
        ChunkRecords.batch(processID: processID, chunkID: 1), broken,
        ChunkRecords.batch(processID: processID, chunkID: 3),
        noModality,
      ]) + "not json\n"

    let result = try server.run(["--op", "create-chunk"], stdin: input)

    XCTAssertEqual(result.status, 65)
    XCTAssertTrue(
      result.stderr.contains(
        "gql-mutate: error (line 2): field \"chunk_hash\" is missing (it gives the variable $input.chunkHash)"),
      result.stderr)
    XCTAssertTrue(
      result.stderr.contains("(line 4): field \"inference_modality\" must be \"batch\" or \"live\", found \"archive\""),
      result.stderr)
    XCTAssertTrue(result.stderr.contains("(line 5): not a JSON object"), result.stderr)
    XCTAssertEqual(try result.records().map { $0["chunk_id"] }, [1, 3])
    XCTAssertEqual(try server.stats().requests, 2, "nothing is sent for the bad records")
    XCTAssertEqual(try server.rows("batch_chunks", processID: processID).count, 2)
  }
}
