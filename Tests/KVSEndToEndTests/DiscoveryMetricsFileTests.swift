import CliplineTestSupport
import Foundation
import XCTest

/// `kvs-discover --metrics-file`, run as cron runs it: the file says when the run ended, its exit code and how many
/// tasks it wrote, under `tool="kvs-discover"`, and a real node_exporter serves it.
final class DiscoveryMetricsFileTests: XCTestCase {
  func testTheFileCountsTheTasksWrittenAndNodeExporterServesIt() throws {
    let testbed = try KVSTestbed()
    let home = try ScratchDirectory("kvs-discover")
    let textfiles = try ScratchDirectory("textfiles")
    let prefix = "cron\(UUID().uuidString.prefix(6))"
    try testbed.createStream(prefix)
    try testbed.createStream(prefix)
    let result = try testbed.run(
      "kvs-discover",
      [
        "--prefix", prefix, "--no-cache", "--window", "60s", "--process-id", "501",
        "--metrics-file", textfiles.file("kvs-discover.prom"),
      ],
      home: home.path)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(try result.records().count, 2)

    let text = try NodeExporter(textfiles: textfiles.path).metrics()
    XCTAssertEqual(NodeExporter.value("node_textfile_scrape_error", in: text), 0, text)
    let tool = ["tool": "kvs-discover"]
    XCTAssertEqual(NodeExporter.value("clipline_last_run_records", tool, in: text), 2, text)
    XCTAssertEqual(NodeExporter.value("clipline_last_run_exit_code", tool, in: text), 0, text)
    let ended = try XCTUnwrap(NodeExporter.value("clipline_last_run_timestamp_seconds", tool, in: text))
    XCTAssertLessThan(abs(ended - Date().timeIntervalSince1970), 120)
  }
}

/// `kvs-discover --window` with tracing on: a trace per task, its root span exported and its context in the task.
final class DiscoveryTraceTests: XCTestCase {
  func testEachTaskStartsATraceItsRecordCarries() throws {
    let testbed = try KVSTestbed()
    let home = try ScratchDirectory("kvs-discover")
    let scratch = try ScratchDirectory("otlp")
    let receiver = try OTLPReceiver(scratch: scratch)
    let prefix = "traced\(UUID().uuidString.prefix(6))"
    let stream = try testbed.createStream(prefix)
    try testbed.createStream(prefix)
    var environment = testbed.environment(home: home.path)
    environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:\(receiver.port)"
    let result = try ToolInvocation.run(
      "kvs-discover", ["--prefix", prefix, "--no-cache", "--window", "60s", "--process-id", "501"],
      environment: environment, removingEnvironment: KVSTestbed.removedEnvironment)
    XCTAssertEqual(result.status, 0, result.stderr)
    let tasks = try result.records()
    XCTAssertEqual(tasks.count, 2)
    let spans = receiver.spans.filter { $0["name"] as? String == "kvs-discover task" }
    XCTAssertEqual(spans.count, 2, "\(receiver.spans)")
    for task in tasks {
      let parts = try XCTUnwrap(task["traceparent"]?.stringValue, "\(task)").split(separator: "-").map(String.init)
      let span = try XCTUnwrap(spans.first { $0["trace_id"] as? String == parts[1] }, "no span for \(task)")
      XCTAssertEqual(span["span_id"] as? String, parts[2])
      XCTAssertNil(span["parent_span_id"] as? String)
      XCTAssertEqual((span["attributes"] as? [String: Any])?["clipline.process_id"] as? Int, 501)
    }
    XCTAssertNotEqual(tasks[0]["traceparent"], tasks[1]["traceparent"], "a trace per task")
    let first = try XCTUnwrap(tasks.first { $0["stream_name"]?.stringValue == stream.name })
    XCTAssertEqual(first["camera_id"], .string(stream.name))
  }
}
