import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// One log stream for a whole worker (issue 25) and a relay that stays linear (issue 24 item 13), run end to end.
final class AMQPConsumeLogStreamTests: XCTestCase {
  private func environment() throws -> [String: String] { ["AMQP_URL": try Broker.url()] }

  /// Before: the relay masked each 64 KB piece of a long line with a pattern that was quadratic in it, and the
  /// handler, blocked on a full stderr pipe, was stopped by --timeout and retried. Now the message is acked and
  /// the line is cut where the relay says.
  func testAHandlerWritingAMegabyteWithoutANewlineIsAckedAndItsLineCut() throws {
    let queue = Broker.uniqueQueue("longline")
    try Broker.declare(queue)
    try Broker.pikaPublish(queue, body: #"{"n":1}"#, headers: [:])
    let script = "cat > /dev/null; head -c 1048576 /dev/zero | tr '\\0' a >&2; echo ' end' >&2"
    let result = try ToolInvocation.run(
      "amqp-consume", ["--queue", queue, "--count", "1", "--timeout", "60s", "--", "/bin/sh", "-c", script],
      environment: try environment(), timeout: 120)
    XCTAssertEqual(result.status, 0, String(result.stderr.suffix(500)))
    XCTAssertTrue(
      result.stderr.contains("[amqp-consume: line cut at 16384 bytes; 1032196 more dropped]"),
      String(result.stderr.suffix(500)))
    XCTAssertTrue(result.stderr.contains("acked"), String(result.stderr.suffix(500)))
    XCTAssertLessThan(result.stderr.utf8.count, 20_000, "nothing past the cut reaches stderr")
    XCTAssertEqual(try Broker.depth(queue), 0)
    XCTAssertEqual(try Broker.depth(queue + ".dlq"), 0)
  }

  /// `--log-format json`: the handler's tools are told to log JSON too (CLIPLINE_LOG_FORMAT), and every line on
  /// stderr, the handler's text lines included, is one JSON object naming the message and the queue.
  func testInJSONModeEveryStderrLineIsAnObjectWithTheMessageId() throws {
    let queue = Broker.uniqueQueue("jsonlog")
    try Broker.declare(queue)
    try Broker.pikaPublish(queue, body: #"{"n":1}"#, headers: [:])
    let script = """
      echo "format=$CLIPLINE_LOG_FORMAT" >&2
      echo 'not json' | "$RECORD_SHAPE" --keep n
      echo 'a plain line' >&2
      exit 0
      """
    let result = try ToolInvocation.run(
      "amqp-consume",
      ["--queue", queue, "--count", "1", "--log-format", "json", "--", "/bin/sh", "-c", script],
      environment: try environment().merging(["RECORD_SHAPE": ToolInvocation.path(of: "record-shape")]) { $1 },
      timeout: 60)
    XCTAssertEqual(result.status, 0, result.stderr)
    let lines = result.stderr.split(separator: "\n").map(String.init)
    let objects = try lines.map { line in
      try XCTUnwrap(try? Record(json: line), "not a JSON object: \(line)")
    }
    let handlerLines = objects.filter { $0["message_id"] == "pika-1" && $0["queue"] == .string(queue) }
    XCTAssertEqual(handlerLines.count, 4, "three handler lines and the outcome: \(result.stderr)")
    XCTAssertTrue(handlerLines.contains { $0["outcome"] == "acked" }, result.stderr)
    XCTAssertTrue(objects.contains { $0["message"] == "format=json" }, result.stderr)
    let shaped = try XCTUnwrap(objects.first { $0["tool"] == "record-shape" }, result.stderr)
    XCTAssertEqual(shaped["level"], "error", "record-shape wrote JSON itself: \(result.stderr)")
    XCTAssertEqual(shaped["line"], 1)
    XCTAssertTrue(objects.contains { $0["message"] == "a plain line" && $0["tool"] == "sh" }, result.stderr)
  }

  /// CLIPLINE_LOG_FORMAT sets the format of a tool run alone; the flag still wins; a value that is neither is a
  /// usage error naming the variable.
  func testCliplineLogFormatSetsTheFormatAndTheFlagWins() throws {
    let fromEnvironment = try ToolInvocation.run(
      "record-shape", ["--keep", "n"], stdin: "not json\n", environment: ["CLIPLINE_LOG_FORMAT": "json"])
    XCTAssertEqual(fromEnvironment.status, 65)
    let object = try Record(json: fromEnvironment.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
    XCTAssertEqual(object["tool"], "record-shape")
    XCTAssertEqual(object["line"], 1)

    let flagWins = try ToolInvocation.run(
      "record-shape", ["--keep", "n", "--log-format", "text"], stdin: "not json\n",
      environment: ["CLIPLINE_LOG_FORMAT": "json"])
    XCTAssertEqual(flagWins.status, 65)
    XCTAssertTrue(flagWins.stderr.hasPrefix("record-shape: error (line 1): "), flagWins.stderr)

    let wrong = try ToolInvocation.run(
      "record-shape", ["--keep", "n"], stdin: "{}\n", environment: ["CLIPLINE_LOG_FORMAT": "yaml"])
    XCTAssertEqual(wrong.status, 64)
    XCTAssertTrue(wrong.stderr.contains(#"CLIPLINE_LOG_FORMAT is "yaml""#), wrong.stderr)
    XCTAssertEqual(wrong.stdout, "")
  }
}
