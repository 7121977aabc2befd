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
