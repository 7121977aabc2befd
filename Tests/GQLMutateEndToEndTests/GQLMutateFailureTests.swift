import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// End to end: injected server failures, GraphQL errors and bad credentials, against the real server.
final class GQLMutateFailureTests: XCTestCase {
  func testRetriesSurvive5xx429AndADroppedConnection() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    // The drop comes first, on a fresh connection: on a reused one libcurl would resend by itself.
    try server.inject(["kind": "drop", "count": 1])
    try server.inject(["kind": "status", "status": 503, "count": 1])
    try server.inject(["kind": "status", "status": 429, "retry_after": 1, "count": 1])
    try server.inject(["kind": "status", "status": 502, "count": 1])

    let result = try server.run(
      ["--op", "create-chunk", "--attempts", "6"],
      stdin: ChunkRecords.lines([ChunkRecords.batch(processID: processID, chunkID: 1)]))

    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(result.stdoutLines.count, 1)
    XCTAssertEqual(try server.stats().requests, 5)
    XCTAssertEqual(try server.rows("batch_chunks", processID: processID).count, 1)
    let warnings = result.stderr.split(separator: "\n")
    XCTAssertEqual(warnings.count, 4, result.stderr)
    XCTAssertTrue(warnings[0].contains("attempt 1 failed: Server returned nothing"), result.stderr)
    XCTAssertTrue(warnings[1].contains("attempt 2 failed: HTTP 503"), result.stderr)
    XCTAssertTrue(warnings[2].contains("attempt 3 failed: HTTP 429"), result.stderr)
    XCTAssertTrue(warnings[2].hasSuffix("retrying in 1.00 s"), "Retry-After is honoured: \(result.stderr)")
    XCTAssertTrue(warnings[3].contains("attempt 4 failed: HTTP 502"), result.stderr)
  }

  /// In JSON, a retry's warning names the record it is about (issue 25: ids on every line, not only errors).
  func testARetryWarningInJSONNamesItsRecordsIDs() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    try server.inject(["kind": "status", "status": 503, "count": 1])
    let result = try server.run(
      ["--op", "create-chunk", "--attempts", "3"],
      stdin: ChunkRecords.lines([ChunkRecords.batch(processID: processID, chunkID: 2)]),
      environment: ["CLIPLINE_LOG_FORMAT": "json"])
    XCTAssertEqual(result.status, 0, result.stderr)
    let lines = try result.stderr.split(separator: "\n").map { try Record(json: String($0)) }
    XCTAssertEqual(lines.count, 1, result.stderr)
    XCTAssertEqual(lines.first?["level"], .string("warning"), result.stderr)
    XCTAssertEqual(lines.first?["process_id"], .integer(Int64(processID)), result.stderr)
    XCTAssertEqual(lines.first?["chunk_id"], .integer(2), result.stderr)
  }

  func testSlowAnswerTimesOutIsRetriedAndStillMakesOneRow() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    // The slow request still executes after its sleep: the retry must not make a second row.
    try server.inject(["kind": "delay", "seconds": 2, "count": 1])

    let result = try server.run(
      ["--op", "create-chunk", "--timeout", "500ms"],
      stdin: ChunkRecords.lines([ChunkRecords.batch(processID: processID, chunkID: 1)]))

    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stderr.contains("attempt 1 failed: Timeout was reached"), result.stderr)
    Thread.sleep(forTimeInterval: 2)  // let the abandoned request finish on the server
    XCTAssertEqual(try server.rows("batch_chunks", processID: processID).count, 1)
    XCTAssertEqual(
      try result.records().first?["chunk_record_id"],
      .string(String(try server.rows("batch_chunks", processID: processID)[0]["id"]!.integerValue!)))
  }

  func testServerStillFailingAfterTheRetriesExits75AndStops() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    try server.inject(["kind": "status", "status": 503, "count": 3])
    let records = (1...3).map { ChunkRecords.batch(processID: processID, chunkID: $0) }

    let result = try server.run(["--op", "create-chunk", "--attempts", "3"], stdin: ChunkRecords.lines(records))

    XCTAssertEqual(result.status, 75)
    XCTAssertEqual(result.stdout, "")
    XCTAssertTrue(
      result.stderr.contains(
        "gql-mutate: error (line 1): HTTP 503 from \(server.endpoint): injected HTTP failure; stopping"),
      result.stderr)
    XCTAssertEqual(try server.stats().requests, 3, "three attempts for the first record, then the run stops")
    XCTAssertTrue(try server.rows("batch_chunks", processID: processID).isEmpty)
  }

  func testGraphQLErrorFailsTheRecordWith65WithoutRetryAndTheOthersGoOn() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    try server.inject(["kind": "graphql_error", "message": "chunk storage is read-only", "count": 1])
    let records = (1...2).map { ChunkRecords.batch(processID: processID, chunkID: $0) }

    let result = try server.run(["--op", "create-chunk"], stdin: ChunkRecords.lines(records))

    XCTAssertEqual(result.status, 65)
    XCTAssertEqual(
      result.stderr,
      "gql-mutate: error (line 1): operation CreateBatchChunk failed: at createBatchChunk: chunk storage is read-only\n"
        + "gql-mutate: error: 1 of 2 records failed\n")
    XCTAssertEqual(try result.records().map { $0["chunk_id"] }, [2])
    XCTAssertEqual(try server.stats().requests, 2)
    XCTAssertEqual(
      try server.rows("batch_chunks", processID: processID).map { $0["chunk_hash"] }, [records[1]["chunk_hash"]])
  }

  /// In JSON, the error line of a record the server refused names the record's ids (issue 25).
  func testARefusedRecordsJSONErrorLineNamesItsIDs() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    try server.inject(["kind": "graphql_error", "message": "chunk storage is read-only", "count": 1])
    let result = try server.run(
      ["--op", "create-chunk"], stdin: ChunkRecords.lines([ChunkRecords.batch(processID: processID, chunkID: 3)]),
      environment: ["CLIPLINE_LOG_FORMAT": "json"])
    XCTAssertEqual(result.status, 65, result.stderr)
    let line = try Record(json: String(try XCTUnwrap(result.stderr.split(separator: "\n").first)))
    XCTAssertEqual(line["process_id"], .integer(Int64(processID)), result.stderr)
    XCTAssertEqual(line["chunk_id"], .integer(3), result.stderr)
  }

  func testGraphQLErrorInABatchFailsOnlyItsOwnRecord() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    var backwards = ChunkRecords.batch(processID: processID, chunkID: 2)
    backwards["end_time"] = 10.0
    let records = [
      ChunkRecords.batch(processID: processID, chunkID: 1), backwards,
      ChunkRecords.live(processID: processID, chunkID: 3),
    ]

    let result = try server.run(["--op", "create-chunk", "--batch", "3"], stdin: ChunkRecords.lines(records))

    XCTAssertEqual(result.status, 65)
    XCTAssertEqual(
      result.stderr,
      "gql-mutate: error (line 2): operation CreateBatchChunk failed: at createBatchChunk: "
        + "endTime 10.0 is before startTime 60.0\ngql-mutate: error: 1 of 3 records failed\n")
    XCTAssertEqual(try result.records().map { $0["chunk_id"] }, [1, 3])
    XCTAssertEqual(try server.stats().requests, 1)
    XCTAssertEqual(try server.rows("batch_chunks", processID: processID).count, 1)
    XCTAssertEqual(try server.rows("live_chunks", processID: processID).count, 1)
  }

  func testBadCredentialsExit77AndNeverPrintTheToken() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    let input = ChunkRecords.lines((1...2).map { ChunkRecords.batch(processID: processID, chunkID: $0) })

    let unknown = try server.run(
      ["--op", "create-chunk"], stdin: input, environment: ["GRAPHQL_TOKEN": "not-the-token"])
    XCTAssertEqual(unknown.status, 77)
    XCTAssertEqual(unknown.stdout, "")
    XCTAssertTrue(
      unknown.stderr.contains("(line 1): HTTP 401 from \(server.endpoint): unknown bearer token"), unknown.stderr)
    XCTAssertFalse(unknown.stderr.contains("not-the-token"))

    let readOnly = try server.run(
      ["--op", "create-chunk"], stdin: input, environment: ["GRAPHQL_TOKEN": server.readOnlyToken])
    XCTAssertEqual(readOnly.status, 77)
    XCTAssertTrue(
      readOnly.stderr.contains("HTTP 403 from \(server.endpoint): this token may only read"), readOnly.stderr)
    XCTAssertFalse(readOnly.stderr.contains(server.readOnlyToken))

    let missing = try ToolInvocation.run(
      "gql-mutate", ["--op", "create-chunk"] + server.scopeHeader, stdin: input, removingEnvironment: ["GRAPHQL_TOKEN"])
    XCTAssertEqual(missing.status, 77)
    XCTAssertTrue(missing.stderr.contains("HTTP 401 from \(server.endpoint): missing bearer token"), missing.stderr)

    // A --header carrying the credentials works too.
    let viaHeader = try ToolInvocation.run(
      "gql-mutate", ["--op", "create-chunk", "--header", "Authorization: Bearer \(server.token)"] + server.scopeHeader,
      stdin: input, removingEnvironment: ["GRAPHQL_TOKEN"])
    XCTAssertEqual(viaHeader.status, 0, viaHeader.stderr)

    XCTAssertEqual(try server.stats().requests, 5, "three runs stopped at their first record, then two accepted")
    XCTAssertEqual(try server.rows("batch_chunks", processID: processID).count, 2)
  }

  func testUnreachableEndpointExits69AfterRetries() throws {
    let result = try ToolInvocation.run(
      "gql-mutate", ["--op", "create-chunk", "--endpoint", "http://127.0.0.1:9/graphql", "--attempts", "2"],
      stdin: ChunkRecords.lines([ChunkRecords.batch(processID: 1, chunkID: 1)]))

    XCTAssertEqual(result.status, 69)
    XCTAssertTrue(result.stderr.contains("attempt 1 failed: Couldn't connect to server"), result.stderr)
  }
}
