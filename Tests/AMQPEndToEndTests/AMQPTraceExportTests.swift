import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// Spans over OTLP/HTTP to a receiver built on the OpenTelemetry project's protobuf definitions
/// (scripts/testbeds/otlp_receiver.py): a two-stage job, shaped like S2 -> M0, arrives as one trace whose parent
/// links follow the messages; a collector that is down costs the job nothing (issue 25).
final class AMQPTraceExportTests: XCTestCase {
  private func consume(_ queue: String, script: String, environment extra: [String: String]) throws -> ToolResult {
    try ToolInvocation.run(
      "amqp-consume", ["--queue", queue, "--count", "1", "--", "/bin/sh", "-c", script],
      environment: [
        "AMQP_URL": try Broker.url(), "RECORD_SHAPE": ToolInvocation.path(of: "record-shape"),
        "AMQP_PUB": ToolInvocation.path(of: "amqp-pub"),
      ].merging(extra) { $1 }, timeout: 60)
  }

  func testATwoStageJobArrivesAsOneTraceWithTheRightParents() throws {
    let scratch = try ScratchDirectory("otlp")
    let receiver = try OTLPReceiver(scratch: scratch)
    let endpoint = "http://127.0.0.1:\(receiver.port)"
    let (first, second, results) = (
      Broker.uniqueQueue("s2"), Broker.uniqueQueue("m0"), Broker.uniqueQueue("results")
    )
    try Broker.declare(first)
    let traceID = "0af7651916cd43dd8448eb211c80319c"
    let origin = "b7ad6b7169203331"
    try Broker.pikaPublish(
      first, body: #"{"process_id":501,"camera_id":"cam-1"}"#, headers: ["traceparent": "00-\(traceID)-\(origin)-01"])
    let stage = #""$RECORD_SHAPE" --keep process_id | "$AMQP_PUB" --queue "$NEXT" --declare"#
    let s2 = try consume(
      first, script: stage,
      environment: ["NEXT": second, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_SERVICE_NAME": "s2-worker"])
    XCTAssertEqual(s2.status, 0, s2.stderr)
    let m0 = try consume(
      second, script: stage,
      environment: [
        "NEXT": results, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint + "/v1/traces",
        "OTEL_SERVICE_NAME": "m0-worker", "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=test",
      ])
    XCTAssertEqual(m0.status, 0, m0.stderr)

    let spans = receiver.spans
    XCTAssertNil(spans.first { $0["error"] != nil }, "\(spans)")
    XCTAssertEqual(spans.count, 6, "\(spans.map { $0["name"] ?? "" })")
    XCTAssertEqual(Set(spans.compactMap { $0["trace_id"] as? String }), [traceID], "one trace")
    func span(_ name: String, service: String) throws -> [String: Any] {
      try XCTUnwrap(
        spans.first {
          $0["name"] as? String == name && ($0["resource"] as? [String: Any])?["service.name"] as? String == service
        }, "no \(name) from \(service): \(spans)")
    }
    let process1 = try span("\(first) process", service: "s2-worker")
    let shape1 = try span("record-shape", service: "s2-worker")
    let publish1 = try span("\(second) publish", service: "s2-worker")
    let process2 = try span("\(second) process", service: "m0-worker")
    let shape2 = try span("record-shape", service: "m0-worker")
    let publish2 = try span("\(results) publish", service: "m0-worker")
    XCTAssertEqual(process1["parent_span_id"] as? String, origin, "the consumer continues the message's traceparent")
    XCTAssertEqual(shape1["parent_span_id"] as? String, process1["span_id"] as? String)
    XCTAssertEqual(publish1["parent_span_id"] as? String, process1["span_id"] as? String)
    XCTAssertEqual(process2["parent_span_id"] as? String, publish1["span_id"] as? String, "across the queue")
    XCTAssertEqual(shape2["parent_span_id"] as? String, process2["span_id"] as? String)
    XCTAssertEqual(publish2["parent_span_id"] as? String, process2["span_id"] as? String)
    XCTAssertEqual(process1["kind"] as? Int, 5, "SPAN_KIND_CONSUMER")
    XCTAssertEqual(publish1["kind"] as? Int, 4, "SPAN_KIND_PRODUCER")
    XCTAssertEqual(shape1["kind"] as? Int, 1, "SPAN_KIND_INTERNAL")
    let attributes = try XCTUnwrap(process1["attributes"] as? [String: Any])
    XCTAssertEqual(attributes["messaging.system"] as? String, "rabbitmq")
    XCTAssertEqual(attributes["messaging.destination.name"] as? String, first)
    XCTAssertEqual(attributes["messaging.message.id"] as? String, "pika-1")
    XCTAssertEqual(attributes["process.exit.code"] as? Int, 0)
    XCTAssertEqual((process2["resource"] as? [String: Any])?["deployment.environment"] as? String, "test")
    for span in spans {
      XCTAssertLessThanOrEqual(span["start"] as? Int ?? 0, span["end"] as? Int ?? -1, "\(span)")
    }
  }

  /// A failing handler's message span carries status ERROR; a collector that is down (a closed port) or refuses
  /// (503) leaves the job as it was: acked or dead-lettered by its exit code, a warning once, no other change.
  func testFailuresAreMarkedAndACollectorThatIsDownCostsTheJobNothing() throws {
    let scratch = try ScratchDirectory("otlp-down")
    let refusing = try OTLPReceiver(scratch: scratch, status: 503)
    let closed = try PrometheusServer.freePort()
    for endpoint in ["http://127.0.0.1:\(closed)", "http://127.0.0.1:\(refusing.port)"] {
      let queue = Broker.uniqueQueue("otlp-down")
      try Broker.declare(queue)
      try Broker.pikaPublish(queue, body: #"{"n":1}"#, headers: [:])
      let result = try consume(
        queue, script: #"cat > /dev/null; "$RECORD_SHAPE" --keep n < /dev/null"#,
        environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": endpoint])
      XCTAssertEqual(result.status, 0, result.stderr)
      XCTAssertTrue(result.stderr.contains("acked"), result.stderr)
      XCTAssertEqual(
        result.stderr.components(separatedBy: "warning: spans dropped").count - 1, 1, "said once: \(result.stderr)")
      XCTAssertEqual(try Broker.depth(queue), 0)
    }

    let receiver = try OTLPReceiver(scratch: scratch)
    let queue = Broker.uniqueQueue("otlp-fail")
    try Broker.declare(queue)
    try Broker.pikaPublish(queue, body: #"{"n":1}"#, headers: [:])
    let failed = try consume(
      queue, script: "cat > /dev/null; exit 3",
      environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(receiver.port)"])
    XCTAssertEqual(failed.status, 0, failed.stderr)
    let span = try XCTUnwrap(receiver.spans.first { $0["name"] as? String == "\(queue) process" }, "\(receiver.spans)")
    let status = try XCTUnwrap(span["status"] as? [String: Any])
    XCTAssertEqual(status["code"] as? Int, 2, "STATUS_CODE_ERROR")
    XCTAssertEqual(status["message"] as? String, "dead-lettered to \(queue).dlq")
    XCTAssertEqual((span["attributes"] as? [String: Any])?["process.exit.code"] as? Int, 3)
  }

  /// A traced run's HTTP requests carry its span as `traceparent` (same trace, the run's own span); an untraced
  /// run's carry nothing.
  func testHTTPRequestsCarryTheRunsTraceparentOnlyWhenTraced() throws {
    let scratch = try ScratchDirectory("traceparent-http")
    let seen = scratch.file("seen.txt")
    let port = try PrometheusServer.freePort()
    let server = Process()
    server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    server.arguments = [
      "python3", "-c",
      """
      import http.server, sys
      class H(http.server.BaseHTTPRequestHandler):
          def do_GET(self):
              open(sys.argv[2], "a").write((self.headers.get("traceparent") or "none") + "\\n")
              self.send_response(404); self.send_header("Content-Length", "0"); self.end_headers()
          def log_message(self, *a): pass
      s = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H); print("ready", flush=True); s.serve_forever()
      """, port, seen,
    ]
    let ready = Pipe()
    server.standardOutput = ready
    try server.run()
    defer { server.terminate() }
    _ = ready.fileHandleForReading.availableData
    let parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    let source = "http://127.0.0.1:\(port)/video.mp4"
    let traced = try ToolInvocation.run(
      "chunk", ["--source", source, "-o", scratch.file("chunks")], environment: ["TRACEPARENT": parent],
      removingEnvironment: ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"])
    XCTAssertNotEqual(traced.status, 0, "the server has no video")
    let untraced = try ToolInvocation.run(
      "chunk", ["--source", source, "-o", scratch.file("chunks")],
      removingEnvironment: ["TRACEPARENT", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"])
    XCTAssertNotEqual(untraced.status, 0)
    let lines = try String(contentsOfFile: seen, encoding: .utf8).split(separator: "\n").map(String.init)
    let tracedLines = lines.filter { $0 != "none" }
    XCTAssertFalse(tracedLines.isEmpty, "\(lines)")
    for line in tracedLines {
      let parts = line.split(separator: "-").map(String.init)
      XCTAssertEqual(parts.count, 4, line)
      XCTAssertEqual(parts[1], "0af7651916cd43dd8448eb211c80319c", "the same trace")
      XCTAssertNotEqual(parts[2], "b7ad6b7169203331", "chunk's own span")
    }
    XCTAssertTrue(lines.contains("none"), "the untraced run sent no traceparent: \(lines)")
  }
}
