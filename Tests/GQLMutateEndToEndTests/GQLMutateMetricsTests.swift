import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// What gql-mutate reports on descriptor 3 inside an amqp-consume handler (docs/observability.md): its operations by
/// name and outcome, and each request as a step of the record stage (issue 25).
final class GQLMutateMetricsTests: XCTestCase {
  /// Runs gql-mutate as a handler's tool runs: descriptor 3 a file opened for appending, CLIPLINE_REPORT_FD=3.
  private func runReporting(
    _ server: GraphQLTestServer, _ arguments: [String], stdin: String, report: String
  ) throws -> ToolResult {
    try ToolInvocation.runProcess(
      "/bin/sh",
      ["-c", #"exec "$0" "$@" 3>>"$REPORT""#, ToolInvocation.path(of: "gql-mutate")] + arguments
        + server.scopeHeader, stdin: Data(stdin.utf8), environment: ["REPORT": report, "CLIPLINE_REPORT_FD": "3"])
  }

  private func reportedSeries(_ report: String) throws -> [String: JSONValue] {
    let lines = try String(contentsOfFile: report, encoding: .utf8).split(separator: "\n")
    let metrics = try lines.compactMap { try JSONParser.parse(String($0)).objectValue?["metrics"]?.arrayValue }
    XCTAssertEqual(metrics.count, 1, "one line of figures per run: \(lines)")
    var series: [String: JSONValue] = [:]
    for item in metrics.first ?? [] {
      let object = item.objectValue ?? [:]
      let labels = (object["labels"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ",")
      series["\(object["name"]?.stringValue ?? ""){\(labels)}"] = item
    }
    return series
  }

  func testOperationsAreCountedByNameAndOutcomeAndRequestsTimed() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    try server.inject(["kind": "graphql_error", "message": "chunk storage is read-only", "count": 1])
    let records = (1...3).map { ChunkRecords.batch(processID: processID, chunkID: $0) }
    let scratch = try ScratchDirectory("gql-report")
    let report = scratch.file("report.jsonl")

    let result = try runReporting(server, ["--op", "create-chunk"], stdin: ChunkRecords.lines(records), report: report)
    XCTAssertEqual(result.status, 65, result.stderr)
    XCTAssertEqual(result.stdoutLines.count, 2)
    let series = try reportedSeries(report)
    XCTAssertEqual(series["clipline_graphql_requests_total{CreateBatchChunk,ok}"]?.objectValue?["value"], 2.0)
    XCTAssertEqual(series["clipline_graphql_requests_total{CreateBatchChunk,error}"]?.objectValue?["value"], 1.0)
    XCTAssertEqual(series["clipline_stage_duration_seconds{record}"]?.objectValue?["count"], 3)

    // A service that stays down: the request failed, and so did every operation in it.
    try server.inject(["kind": "status", "status": 503, "count": 2])
    let down = scratch.file("down.jsonl")
    let failed = try runReporting(
      server, ["--op", "create-chunk", "--attempts", "2"], stdin: ChunkRecords.lines(Array(records.prefix(1))),
      report: down)
    XCTAssertEqual(failed.status, 75, failed.stderr)
    XCTAssertEqual(
      try reportedSeries(down)["clipline_graphql_requests_total{CreateBatchChunk,failed}"]?
        .objectValue?["value"], 1.0)

    // Run alone, with no descriptor 3, it reports nothing and says nothing of it.
    let alone = try server.run(["--op", "create-chunk"], stdin: ChunkRecords.lines([records[2]]))
    XCTAssertEqual(alone.status, 0, alone.stderr)
    XCTAssertEqual(alone.stderr, "")
  }
}
