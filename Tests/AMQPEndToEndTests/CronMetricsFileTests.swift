import CliplineTestSupport
import Foundation
import XCTest

/// The cron tools' `--metrics-file`, read by a real node_exporter's textfile collector: each run leaves its end,
/// duration, exit code and records under its own `tool`, so two tools' files in one directory scrape cleanly.
final class CronMetricsFileTests: XCTestCase {
  /// m0-submit queues `requests` on a new queue, then amqp-dlq lists that queue; each leaves its file in `directory`
  /// (`m0-submit\(fileSuffix).prom`, `amqp-dlq\(fileSuffix).prom`).
  private func submitAndList(_ requests: String, in directory: ScratchDirectory, fileSuffix: String = "") throws {
    let queue = Broker.uniqueQueue("cronmetrics")
    let environment = ["AMQP_URL": try Broker.url()]
    let submitted = try ToolInvocation.run(
      "m0-submit", ["--queue", queue, "--declare", "--metrics-file", directory.file("m0-submit\(fileSuffix).prom")],
      stdin: requests, environment: environment)
    XCTAssertEqual(submitted.status, 0, submitted.stderr)
    let listed = try ToolInvocation.run(
      "amqp-dlq", ["list", "-q", queue, "--metrics-file", directory.file("amqp-dlq\(fileSuffix).prom")],
      environment: environment)
    XCTAssertEqual(listed.status, 0, listed.stderr)
  }

  func testNodeExporterServesTheRunsOfTwoToolsSideBySide() throws {
    let directory = try ScratchDirectory("textfiles")
    let requests = M0SubmitToolTests.batchRequest + "\n" + M0SubmitToolTests.liveRequest + "\n"
    try submitAndList(requests, in: directory)

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

  /// Two runs of one tool for different targets (two queues' submits, two dead-letter queues' lists), each with a
  /// file of its own in one directory: every series carries its file's name as `textfile`, so none is held twice.
  func testTwoRunsOfOneToolForDifferentTargetsScrapeSideBySide() throws {
    let directory = try ScratchDirectory("textfiles")
    for target in ["a", "b"] {
      try submitAndList(M0SubmitToolTests.batchRequest + "\n", in: directory, fileSuffix: "-\(target)")
    }
    let text = try NodeExporter(textfiles: directory.path).secondScrape()
    XCTAssertEqual(NodeExporter.value("node_textfile_scrape_error", in: text), 0, text)
    XCTAssertEqual(NodeExporter.gatheringErrors(in: text), 0, text)
    for tool in ["m0-submit", "amqp-dlq"] {
      XCTAssertEqual(NodeExporter.series("clipline_build_info", ["tool": tool], in: text).count, 2, text)
      for target in ["a", "b"] {
        let labels = ["tool": tool, "textfile": "\(tool)-\(target)"]
        XCTAssertEqual(NodeExporter.value("clipline_last_run_records", labels, in: text), 1, text)
      }
    }
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
