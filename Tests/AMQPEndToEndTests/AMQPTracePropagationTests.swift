import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// One trace from a message's `traceparent` through amqp-consume, its handler and amqp-pub, to a Python consumer
/// that continues it with the OpenTelemetry SDK, as M1 would (issue 25).
final class AMQPTracePropagationTests: XCTestCase {
  private func environment() throws -> [String: String] {
    ["AMQP_URL": try Broker.url(), "AMQP_PUB": ToolInvocation.path(of: "amqp-pub")]
  }

  /// Runs the worker on one message of `input` (headers given), publishing its body to a fresh queue; returns the
  /// consumer's stderr lines as records and what the SDK consumer saw.
  private func runWorker(headers: [String: String]) throws -> (stderr: [Record], m1: [String: Any]) {
    let input = Broker.uniqueQueue("trace-in")
    let output = Broker.uniqueQueue("trace-out")
    try Broker.declare(input)
    try Broker.pikaPublish(input, body: #"{"process_id":7}"#, headers: headers)
    let script = #"echo "handler TRACEPARENT=$TRACEPARENT" >&2; "$AMQP_PUB" --queue "$OUT" --declare"#
    let result = try ToolInvocation.run(
      "amqp-consume",
      ["--queue", input, "--count", "1", "--log-format", "json", "--", "/bin/sh", "-c", script],
      environment: try environment().merging(["OUT": output]) { $1 }, timeout: 60)
    XCTAssertEqual(result.status, 0, result.stderr)
    let lines = try result.stderr.split(separator: "\n").map { try Record(json: String($0)) }
    let m1 = try ToolInvocation.runProcess(
      "/usr/bin/env", ["python3", Broker.repositoryRoot + "/scripts/testbeds/otel_m1_consumer.py", output, "1"],
      environment: ["AMQP_URL": try Broker.url()], timeout: 60)
    XCTAssertEqual(m1.status, 0, m1.stderr)
    let seen = try XCTUnwrap(
      try JSONSerialization.jsonObject(with: Data(m1.stdout.utf8)) as? [String: Any], m1.stdout + m1.stderr)
    return (lines, seen)
  }

  func testM1ContinuesTheTraceTheMessageCameWith() throws {
    let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
    let publisherSpan = "00f067aa0ba902b7"
    let (stderr, m1) = try runWorker(headers: [
      "traceparent": "00-\(traceID)-\(publisherSpan)-01", "tracestate": "vendor=opaque",
    ])
    // The handler got the consumer's span: same trace, a span of its own whose parent is the publisher's.
    let handlerLine = try XCTUnwrap(stderr.first { $0["message"]?.stringValue?.hasPrefix("handler ") == true })
    let handed = try XCTUnwrap(handlerLine["message"]?.stringValue?.split(separator: "=").last.map(String.init))
    let parts = handed.split(separator: "-").map(String.init)
    XCTAssertEqual(parts.count, 4, handed)
    XCTAssertEqual(parts[1], traceID)
    XCTAssertNotEqual(parts[2], publisherSpan, "the consumer's own span, not the publisher's")
    XCTAssertEqual(handlerLine["trace_id"], .string(traceID), "the relayed line names the trace")
    XCTAssertEqual(handlerLine["span_id"], .string(parts[2]))
    let outcome = try XCTUnwrap(stderr.first { $0["outcome"] == "acked" }, "\(stderr)")
    XCTAssertEqual(outcome["trace_id"], .string(traceID))

    // M1's span is in the same trace, a child of the span amqp-pub wrote into the message.
    XCTAssertEqual(m1["trace_id"] as? String, traceID)
    let header = try XCTUnwrap(m1["traceparent"] as? String)
    let headerParts = header.split(separator: "-").map(String.init)
    XCTAssertEqual(headerParts[1], traceID)
    XCTAssertNotEqual(headerParts[2], parts[2], "amqp-pub's span, a child of the handler's")
    XCTAssertEqual(m1["parent_span_id"] as? String, headerParts[2])
    XCTAssertEqual((m1["body"] as? [String: Any])?["process_id"] as? Int, 7, "the body is the record, untouched")
  }

  /// A record that carries its own trace (kvs-discover's task, kvs-follow's window) is published in that trace;
  /// the others in the run's.
  func testARecordsOwnTraceparentGoesIntoItsMessage() throws {
    let queue = Broker.uniqueQueue("trace-carried")
    let carried = "00-11112222333344445555666677778888-1111222233334444-01"
    let run = "00-aaaabbbbccccddddeeeeffff00001111-aaaabbbbccccdddd-01"
    let result = try ToolInvocation.run(
      "amqp-pub", ["--queue", queue, "--declare"],
      stdin: #"{"n":1,"traceparent":"\#(carried)"}"# + "\n" + #"{"n":2,"traceparent":"nonsense"}"# + "\n",
      environment: try environment().merging(["TRACEPARENT": run]) { $1 })
    XCTAssertEqual(result.status, 0, result.stderr)
    let messages = try Broker.pikaGet(queue, count: 2)
    let headers = messages.map { ($0["headers"] as? [String: Any])?["traceparent"] as? String }
    XCTAssertEqual(headers[0], carried, "the record's own trace")
    let second = try XCTUnwrap(headers[1]).split(separator: "-").map(String.init)
    XCTAssertEqual(second[1], "aaaabbbbccccddddeeeeffff00001111", "not a traceparent: the run's trace")
  }

  func testAMessageWithoutATraceStartsOneThatM1Continues() throws {
    let (stderr, m1) = try runWorker(headers: [:])
    let handlerLine = try XCTUnwrap(stderr.first { $0["message"]?.stringValue?.hasPrefix("handler ") == true })
    let traceID = try XCTUnwrap(handlerLine["trace_id"]?.stringValue)
    XCTAssertEqual(traceID.count, 32)
    XCTAssertEqual(m1["trace_id"] as? String, traceID)

    // A traceparent that is not one (uppercase hex, all-zero ids) is ignored, as the spec says: a new trace.
    let (badStderr, badM1) = try runWorker(headers: [
      "traceparent": "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"
    ])
    let badTrace = try XCTUnwrap(badStderr.first { $0["outcome"] == "acked" }?["trace_id"]?.stringValue)
    XCTAssertNotEqual(badTrace, "4bf92f3577b34da6a3ce929d0e0e4736")
    XCTAssertEqual(badM1["trace_id"] as? String, badTrace)
  }

  /// A traced tool's own JSON lines name its run's span: the trace it continues, a span of its own.
  func testATracedToolsJSONLinesCarryItsTraceAndSpan() throws {
    let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    let traced = try ToolInvocation.run(
      "record-shape", ["--keep", "n"], stdin: "not json\n",
      environment: ["CLIPLINE_LOG_FORMAT": "json", "TRACEPARENT": parent])
    XCTAssertEqual(traced.status, 65)
    let line = try Record(json: traced.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
    XCTAssertEqual(line["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736")
    let span = try XCTUnwrap(line["span_id"]?.stringValue)
    XCTAssertEqual(span.count, 16)
    XCTAssertNotEqual(span, "00f067aa0ba902b7", "the tool's own span, a child of the one it was handed")

    let untraced = try ToolInvocation.run(
      "record-shape", ["--keep", "n"], stdin: "not json\n", environment: ["CLIPLINE_LOG_FORMAT": "json"],
      removingEnvironment: ["TRACEPARENT", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"])
    XCTAssertNil(try Record(json: untraced.stderr.trimmingCharacters(in: .whitespacesAndNewlines))["trace_id"])
  }
}
