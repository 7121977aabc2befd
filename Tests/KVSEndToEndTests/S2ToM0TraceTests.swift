import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// One trace from a camera's window to M1's message, through the shipped workers (issue 25): kvs-discover starts
/// it for the task and amqp-pub queues the task as examples/s2-scheduler.sh does; examples/s2-worker.sh and
/// examples/m0-worker.sh (amqp-consume, kvs-clip, chunk, blob-put, gql-mutate, record-shape, amqp-pub) continue it;
/// the spans reach a real OTLP receiver with every parent link right, and every JSON log line names the trace.
final class S2ToM0TraceTests: XCTestCase {
  static let queues = [
    "S2_PROCESSING_QUEUE", "S2_PROCESSING_DLQ", "M0_PRIORITY_QUEUE", "M0_DEADLETTER_QUEUE", "M0_RESULTS_QUEUE",
  ]

  func testAWindowsTraceReachesM1ThroughTheExampleWorkers() throws {
    let testbed = try KVSTestbed()
    let scratch = try ScratchDirectory("s2-m0-trace")
    let receiver = try OTLPReceiver(scratch: scratch)
    let prefix = "trace\(UUID().uuidString.prefix(6))"
    let camera = try testbed.createStream(prefix, video: try FixtureVideo.path(KVSTestbed.camera)).name
    for queue in Self.queues { _ = try? Broker.pikaGet(queue, count: 100) }  // what an earlier run left
    var environment = testbed.environment(home: scratch.path).merging([
      "AMQP_URL": try Broker.url(), "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(receiver.port)",
      "CLIPLINE_LOG_FORMAT": "json", "COUNT": "1", "CHUNK_UPLOAD": "files",
      "VIDEO_STORE": "file://" + scratch.file("videos"), "CACHE_STORE": "file://" + scratch.path,
      "GRAPHQL_ENDPOINT": try TestServices.require("GRAPHQL_ENDPOINT"),
      "GRAPHQL_TOKEN": try TestServices.require("GRAPHQL_TOKEN"),
      "PATH": ToolInvocation.buildDirectory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
    ]) { $1 }

    // The scheduler's pipe, at a fixed time: one task for the camera's first minute.
    environment["OTEL_SERVICE_NAME"] = "s2-scheduler"
    let scheduled = try run(
      "kvs-discover --prefix \(prefix) --no-cache --window 60s --delay 30s --at 2026-02-26T14:31:40Z "
        + "| amqp-pub --queue S2_PROCESSING_QUEUE --dlq S2_PROCESSING_DLQ --declare --tee", environment)
    let task = try XCTUnwrap(try scheduled.records().first, scheduled.stderr)
    let root = try XCTUnwrap(task["traceparent"]?.stringValue, "\(task)").split(separator: "-").map(String.init)
    let traceID = root[1]

    environment["OTEL_SERVICE_NAME"] = "s2-worker"
    let s2 = try run("exec bash \(ExampleScript.root.path)/examples/s2-worker.sh", environment)
    environment["OTEL_SERVICE_NAME"] = "m0-worker"
    let m0 = try run("exec bash \(ExampleScript.root.path)/examples/m0-worker.sh", environment)

    let m1 = try Broker.pikaGet("M0_RESULTS_QUEUE", count: 10)
    XCTAssertEqual(m1.count, 1, "one 60 s chunk for M1")
    let header = try XCTUnwrap((m1.first?["headers"] as? [String: Any])?["traceparent"] as? String)
    XCTAssertEqual(header.split(separator: "-")[1], Substring(traceID), "M1's message continues the window's trace")

    let spans = receiver.spans.filter { $0["trace_id"] as? String == traceID }
    try assertTree(spans, root: root[2], camera: camera)
    for (worker, result) in [("s2-worker", s2), ("m0-worker", m0)] {
      // The lines about the message: the handler's, relayed, and the consumer's own with its message_id.
      let lines = try result.stderr.split(separator: "\n").map { try Record(json: String($0)) }
        .filter { $0["message_id"] != nil }
      XCTAssertFalse(lines.isEmpty, "\(worker): \(result.stderr)")
      for line in lines {
        XCTAssertEqual(line["trace_id"], .string(traceID), "\(worker): every line names the trace: \(line)")
      }
      XCTAssertTrue(
        lines.contains { $0["process_id"] == task["process_id"] && $0["tool"] != .string("amqp-consume") },
        "\(worker): a handler's line names the job: \(result.stderr)")
    }
  }

  /// `script` in bash with `environment`, which must exit 0.
  private func run(_ script: String, _ environment: [String: String]) throws -> ToolResult {
    let result = try ToolInvocation.runProcess(
      "/bin/bash", ["-o", "pipefail", "-c", script], environment: environment,
      removingEnvironment: KVSTestbed.removedEnvironment + ["TRACEPARENT", "CLIPLINE_REPORT_FD"], timeout: 180)
    XCTAssertEqual(result.status, 0, "\(script): \(result.stderr)")
    return result
  }

  /// The spans of one trace: the task's root, each worker's consumer span a child of the message's publisher, and
  /// every stage's span a child of its worker's consumer span.
  private func assertTree(_ spans: [[String: Any]], root: String, camera: String) throws {
    func named(_ name: String, service: String) throws -> [String: Any] {
      try XCTUnwrap(
        spans.first {
          $0["name"] as? String == name && ($0["resource"] as? [String: Any])?["service.name"] as? String == service
        }, "no \(name) span from \(service): \(spans.map { $0["name"] ?? "" })")
    }
    func id(_ span: [String: Any]) -> String? { span["span_id"] as? String }
    func parent(_ span: [String: Any]) -> String? { span["parent_span_id"] as? String }
    let task = try named("kvs-discover task", service: "s2-scheduler")
    XCTAssertEqual(id(task), root)
    XCTAssertNil(parent(task), "the window's trace starts at its task")
    XCTAssertEqual((task["attributes"] as? [String: Any])?["clipline.camera_id"] as? String, camera)
    let s2 = try named("S2_PROCESSING_QUEUE process", service: "s2-worker")
    XCTAssertEqual(parent(s2), root, "the S2 worker continues the task's trace")
    for stage in ["kvs-clip", "record-shape", "M0_PRIORITY_QUEUE publish"] {
      XCTAssertEqual(parent(try named(stage, service: "s2-worker")), id(s2), stage)
    }
    let m0 = try named("M0_PRIORITY_QUEUE process", service: "m0-worker")
    XCTAssertEqual(parent(m0), id(try named("M0_PRIORITY_QUEUE publish", service: "s2-worker")), "across the queue")
    for stage in ["chunk", "blob-put", "gql-mutate", "record-shape", "M0_RESULTS_QUEUE publish"] {
      XCTAssertEqual(parent(try named(stage, service: "m0-worker")), id(m0), stage)
    }
    let gql = spans.filter { $0["name"] as? String == "gql-mutate" }
    XCTAssertEqual(gql.count, 2, "create-chunk and set-status")
    let ids = Set(spans.compactMap(id))
    for span in spans where span["name"] as? String != "kvs-discover task" {
      XCTAssertTrue(parent(span).map(ids.contains) ?? false, "every parent is in the trace: \(span)")
    }
  }
}
