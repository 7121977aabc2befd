import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// End to end: operations from --query / --query-file, variables with defaults and literals, merged responses.
final class GQLMutateQueryTests: XCTestCase {
  func testQueryFileWithNestedVariablesDefaultsLiteralsAndMerge() throws {
    let server = try GraphQLTestServer()
    let scratch = try ScratchDirectory("gql")
    let document = """
      # Moves a batch job; the status comes from the record or defaults to PROCESSING.
      mutation Move($input: UpdateVideoProcessingStatusInput!) {
        moved: updateBatchVideoProcessingStatus(input: $input) { processId status }
      }
      """
    try document.write(toFile: scratch.file("move.graphql"), atomically: true, encoding: .utf8)
    let first = GraphQLTestServer.newProcessID()
    let second = GraphQLTestServer.newProcessID()
    let input = ChunkRecords.lines([
      Record(["job": ["id": .integer(Int64(first))], "note": "kept"]),
      Record(["job": ["id": .string(String(second))], "wanted": "FAILED"]),
    ])

    let result = try server.run(
      [
        "--query-file", scratch.file("move.graphql"), "--var", "input.processId=job.id",
        "--var", "input.status=wanted // \"PROCESSING\"", "--merge", "state=data.moved.status",
        "--merge", "echoed=moved.processId",
      ],
      stdin: input)

    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(
      try result.records(),
      [
        Record([
          "job": ["id": .integer(Int64(first))], "note": "kept", "state": "PROCESSING",
          "echoed": .string(String(first)),
        ]),
        Record([
          "job": ["id": .string(String(second))], "wanted": "FAILED", "state": "FAILED",
          "echoed": .string(String(second)),
        ]),
      ])
    XCTAssertEqual(try server.rows("batch_video_processes", processID: first).first?["status"], "PROCESSING")
    XCTAssertEqual(try server.rows("batch_video_processes", processID: second).first?["status"], "FAILED")
  }

  func testInlineQueryBatchedWithLiteralVariable() throws {
    let server = try GraphQLTestServer()
    let processIDs = (1...5).map { _ in GraphQLTestServer.newProcessID() }
    let input = ChunkRecords.lines(processIDs.map { Record(["process_id": .integer(Int64($0))]) })

    let result = try server.run(
      [
        "--query",
        "mutation($p: ID!, $s: ProcessingStatus!) { updateCamVideoProcessingStatus(input: "
          + "{processId: $p, status: $s}) { status } }",
        "--var", "p=process_id", "--var", "s:=\"PROCESSING\"", "--batch", "5",
        "--merge", "status=data.updateCamVideoProcessingStatus.status",
      ],
      stdin: input)

    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(try result.records().map { $0["status"] }, Array(repeating: "PROCESSING", count: 5))
    XCTAssertEqual(try server.stats().requests, 1)
    for processID in processIDs {
      XCTAssertEqual(try server.rows("cam_video_processes", processID: processID).first?["status"], "PROCESSING")
    }
  }

  func testDocumentTheServerRejectsFailsWith65NamingTheServerMessage() throws {
    let server = try GraphQLTestServer()

    let result = try server.run(
      ["--query", "mutation($p: ID!) { createBatchChunk(input: {processId: $p}) { id } }", "--var", "p=process_id"],
      stdin: "{\"process_id\": 5}\n")

    XCTAssertEqual(result.status, 65)
    XCTAssertTrue(
      result.stderr.contains(
        "(line 1): operation createBatchChunk failed: in the document at line 1, column 45: "
          + "Field 'CreateBatchChunkInput.chunkHash' of required type 'String!' was not provided."),
      result.stderr)
    XCTAssertEqual(try server.stats().requests, 1)
  }

  func testMergePathMissingFromTheResponseFailsTheRecord() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()

    let result = try server.run(
      ["--op", "create-chunk", "--merge", "hash=data.createBatchChunk.chunkHash"],
      stdin: ChunkRecords.lines([ChunkRecords.batch(processID: processID, chunkID: 1)]))

    XCTAssertEqual(result.status, 65)
    XCTAssertTrue(
      result.stderr.contains(
        "(line 1): operation CreateBatchChunk: the response has no value at data.createBatchChunk.chunkHash"),
      result.stderr)
  }

  func testUsageAndConfigurationMistakesAreCaughtBeforeSending() throws {
    let server = try GraphQLTestServer()
    let undeclared = try server.run(["--op", "create-chunk", "--var", "inputs.cloudPath=cache_path"])
    XCTAssertEqual(undeclared.status, 64)
    XCTAssertTrue(
      undeclared.stderr.contains("operation CreateBatchChunk declares no variable $inputs (it declares $input)"),
      undeclared.stderr)

    let unbound = try server.run(["--query", "mutation($p: ID!, $s: ProcessingStatus!) { x }", "--var", "p=id"])
    XCTAssertEqual(unbound.status, 64)
    XCTAssertTrue(unbound.stderr.contains("requires $s: ProcessingStatus!"), unbound.stderr)

    let malformed = try server.run(["--op", "create-chunk", "--var", "x:=not json"])
    XCTAssertEqual(malformed.status, 64)
    XCTAssertTrue(malformed.stderr.contains("--var \"x:=not json\": the value is not JSON"), malformed.stderr)

    let noStatus = try server.run(["--op", "set-status"])
    XCTAssertEqual(noStatus.status, 64)
    XCTAssertTrue(noStatus.stderr.contains("--op set-status needs --status PROCESSING, COMPLETED or FAILED"))

    let noEndpoint = try ToolInvocation.run(
      "gql-mutate", ["--op", "create-chunk"], stdin: "{}\n", removingEnvironment: ["GRAPHQL_ENDPOINT"])
    XCTAssertEqual(noEndpoint.status, 78)
    XCTAssertTrue(noEndpoint.stderr.contains("no GraphQL endpoint: set GRAPHQL_ENDPOINT or pass --endpoint"))
    XCTAssertEqual(try server.stats().requests, 0)
  }

  /// An endpoint no request could go to is refused at start, even with no input to send.
  func testAnUnparseableEndpointIsAUsageErrorNamingTheFlag() throws {
    for endpoint in ["http://[::1/graphql", "not a url", "ftp://127.0.0.1/graphql", "127.0.0.1:8080/graphql"] {
      let flag = try ToolInvocation.run("gql-mutate", ["--op", "create-chunk", "--endpoint", endpoint], stdin: "")
      XCTAssertEqual(flag.status, 64, "\(endpoint): \(flag.stderr)")
      XCTAssertTrue(flag.stderr.contains("--endpoint "), flag.stderr)
      XCTAssertTrue(flag.stderr.contains(" is not an http:// or https:// URL"), flag.stderr)
      let variable = try ToolInvocation.run(
        "gql-mutate", ["--op", "create-chunk"], stdin: "", environment: ["GRAPHQL_ENDPOINT": endpoint])
      XCTAssertEqual(variable.status, 64, "\(endpoint): \(variable.stderr)")
      XCTAssertTrue(variable.stderr.contains("$GRAPHQL_ENDPOINT "), variable.stderr)
      XCTAssertTrue(variable.stderr.contains(" is not an http:// or https:// URL"), variable.stderr)
    }
  }
}
