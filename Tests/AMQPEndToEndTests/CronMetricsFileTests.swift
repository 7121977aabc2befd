import CliplineTestSupport
import Foundation
import XCTest

/// The cron tools' `--metrics-file`, read by a real node_exporter's textfile collector: each run leaves its end,
/// duration, exit code and records under its own `tool`, so two tools' files in one directory scrape cleanly.
final class CronMetricsFileTests: XCTestCase {
  func testNodeExporterServesTheRunsOfTwoToolsSideBySide() throws {
    let directory = try ScratchDirectory("textfiles")
    let queue = Broker.uniqueQueue("cronmetrics")
    let environment = ["AMQP_URL": try Broker.url()]
    let requests = M0SubmitToolTests.batchRequest + "\n" + M0SubmitToolTests.liveRequest + "\n"
    let submitted = try ToolInvocation.run(
      "m0-submit", ["--queue", queue, "--declare", "--metrics-file", directory.file("m0-submit.prom")],
      stdin: requests, environment: environment)
    XCTAssertEqual(submitted.status, 0, submitted.stderr)
    let listed = try ToolInvocation.run(
      "amqp-dlq", ["list", "-q", queue, "--metrics-file", directory.file("amqp-dlq.prom")],
      environment: environment)
    XCTAssertEqual(listed.status, 0, listed.stderr)

    let text = try NodeExporter(textfiles: directory.path).metrics()
    XCTAssertEqual(NodeExporter.value("node_textfile_scrape_error", in: text), 0, text)
    for tool in ["m0-submit", "amqp-dlq"] {
      XCTAssertEqual(NodeExporter.value("clipline_last_run_exit_code", ["tool": tool], in: text), 0, text)
      XCTAssertEqual(NodeExporter.value("clipline_last_run_records", ["tool": tool], in: text), 2, text)
      let ended = try XCTUnwrap(NodeExporter.value("clipline_last_run_timestamp_seconds", ["tool": tool], in: text))
      XCTAssertLessThan(abs(ended - Date().timeIntervalSince1970), 120)
      XCTAssertNotNil(NodeExporter.value("clipline_last_run_duration_seconds", ["tool": tool], in: text))
      XCTAssertEqual(NodeExporter.value("clipline_build_info", ["tool": tool], in: text), 1, text)
    }
    let publishes = NodeExporter.value(
      "clipline_stage_duration_seconds_count", ["tool": "m0-submit", "stage": "publish"], in: text)
    XCTAssertEqual(publishes, 2, text)
  }

  func testAFailedRunSaysItsExitCode() throws {
    let directory = try ScratchDirectory("textfiles")
    let file = directory.file("m0-submit.prom")
    let result = try ToolInvocation.run(
      "m0-submit", ["--queue", Broker.uniqueQueue("cronmetrics"), "--declare", "--metrics-file", file],
      stdin: #"{"process_id":1}"# + "\n", environment: ["AMQP_URL": try Broker.url()])
    XCTAssertEqual(result.status, 65, result.stderr)
    let text = try String(contentsOfFile: file, encoding: .utf8)
    XCTAssertEqual(NodeExporter.value("clipline_last_run_exit_code", ["tool": "m0-submit"], in: text), 65, text)
    XCTAssertEqual(NodeExporter.value("clipline_last_run_records", ["tool": "m0-submit"], in: text), 0, text)
  }

  func testARunThatCannotLeaveItsFileFailsWith78() throws {
    let queue = Broker.uniqueQueue("cronmetrics")
    let environment = ["AMQP_URL": try Broker.url()]
    let declared = try ToolInvocation.run("m0-submit", ["--queue", queue, "--declare"], environment: environment)
    XCTAssertEqual(declared.status, 0, declared.stderr)
    let directory = try ScratchDirectory("textfiles")
    let result = try ToolInvocation.run(
      "amqp-dlq", ["list", "-q", queue, "--metrics-file", directory.path], environment: environment)
    XCTAssertEqual(result.status, 78, result.stderr)
    XCTAssertTrue(result.stderr.contains("cannot write the metrics file \(directory.path)"), result.stderr)
  }
}
