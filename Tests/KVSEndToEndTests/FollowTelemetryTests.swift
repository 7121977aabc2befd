import CliplineRecords
import CliplineTestSupport
import Foundation
import XCTest

/// `kvs-follow --metrics-listen/--metrics-file` and its traces (issue 25): each stream's series on /metrics and in
/// the textfile, and a trace per window whose root span is the one the window's record names in `traceparent`.
final class FollowTelemetryTests: FollowTestCase {
  func testEachStreamHasItsSeriesAndEachWindowATraceOfItsOwn() throws {
    let scratch = try ScratchDirectory("otlp")
    let receiver = try OTLPReceiver(scratch: scratch)
    let stream = try testbed.createStream("telemetry").name
    let camera = try LiveCamera(testbed, stream: stream)
    defer { camera.stop() }
    let listen = "127.0.0.1:\(try PrometheusServer.freePort())"
    let textfile = home.file("kvs-follow.prom")
    let follower = try follow(
      stream, ["--metrics-listen", listen, "--metrics-file", textfile],
      environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(receiver.port)"])
    let records = Array(try follower.waitForRecords(3).prefix(3))

    let labels = ["stream": stream]
    var scraped = ""
    // A window is counted just after its record is written: the scrape may come between the two.
    try eventually(timeout: 10, "/metrics counts the 3 windows") {
      let answer = try ToolInvocation.runProcess(
        "/usr/bin/curl", ["-sf", "--max-time", "5", "http://\(listen)/metrics"], timeout: 10)
      scraped = answer.stdout
      return NodeExporter.value("clipline_follow_windows_total", labels, in: scraped) ?? 0 >= 3
    }
    XCTAssertEqual(NodeExporter.value("clipline_follow_gaps_total", labels, in: scraped), 0, scraped)
    let behind = try XCTUnwrap(
      NodeExporter.value("clipline_follow_behind_live_seconds", labels, in: scraped), scraped)
    XCTAssertLessThan(behind, 30, "a live camera's windows are seconds behind")
    XCTAssertEqual(NodeExporter.value("clipline_build_info", ["tool": "kvs-follow"], in: scraped), 1)

    try eventually(timeout: 20, "a span per window reaches the receiver") {
      receiver.spans.filter { $0["name"] as? String == "kvs-follow window" }.count >= 3
    }
    XCTAssertEqual(follower.terminate().status, 0, follower.stderr)
    let written = try String(contentsOfFile: textfile, encoding: .utf8)
    XCTAssertGreaterThanOrEqual(NodeExporter.value("clipline_follow_windows_total", labels, in: written) ?? 0, 3)

    let spans = receiver.spans
    XCTAssertEqual(spans.filter { $0["name"] as? String == "kvs-follow" }.count, 0, "no span for the whole run")
    for record in records {
      let parts = record.text("traceparent").split(separator: "-").map(String.init)
      XCTAssertEqual(parts.count, 4, "\(record)")
      guard parts.count == 4 else { continue }
      let span = try XCTUnwrap(spans.first { $0["trace_id"] as? String == parts[1] }, "no span for \(record)")
      XCTAssertEqual(span["span_id"] as? String, parts[2])
      XCTAssertEqual(span["name"] as? String, "kvs-follow window")
      XCTAssertNil(span["parent_span_id"] as? String, "each window is the root of its own trace")
      let attributes = try XCTUnwrap(span["attributes"] as? [String: Any])
      XCTAssertEqual(attributes["clipline.camera_id"] as? String, stream)
      XCTAssertEqual(attributes["clipline.start_time"] as? String, record.text("start_time"))
    }
    XCTAssertEqual(Set(records.map { $0.text("traceparent") }).count, 3, "a trace each")
  }

  func testWithoutTracingARecordHasNoTraceparent() throws {
    let stream = try testbed.createStream("untraced").name
    let camera = try LiveCamera(testbed, stream: stream)
    defer { camera.stop() }
    let follower = try follow(stream)
    let records = try follower.waitForRecords(1)
    XCTAssertEqual(follower.terminate().status, 0, follower.stderr)
    XCTAssertNil(records[0]["traceparent"], "\(records[0])")
  }

  /// A line said on a camera's own thread names the camera in its JSON fields (camera_id, as a record loop's lines
  /// name their record), not only in its text.
  func testALineSaidOnACamerasThreadNamesItsCamera() throws {
    // No camera sends to it: after the idle timeout the follower says the stream is quiet, on the stream's thread.
    let stream = try testbed.createStream("named").name
    let follower = try follow(stream, environment: ["CLIPLINE_LOG_FORMAT": "json"])
    try eventually(timeout: 30, "the quiet stream is said") { follower.stderr.contains("no media for") }
    XCTAssertEqual(follower.terminate().status, 0, follower.stderr)
    let lines = follower.stderr.split(separator: "\n").compactMap { try? Record(json: String($0)) }
    let quiet = try XCTUnwrap(lines.first { $0.text("message").contains("no media for") }, follower.stderr)
    XCTAssertEqual(quiet["camera_id"], .string(stream), "\(quiet)")
  }
}
