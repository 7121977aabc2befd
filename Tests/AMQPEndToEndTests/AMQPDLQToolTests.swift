import CliplineAMQP
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// `amqp-dlq`, built, against the real broker: look without consuming, replay without losing.
final class AMQPDLQToolTests: XCTestCase {
  func testListShowsTheErrorHeadersAndLeavesEveryMessageInItsPlace() throws {
    let queue = try deadLetters(3)
    let first = try list(queue + ".dlq")
    XCTAssertEqual(first.map { $0.value(at: "body.n") }, [0, 1, 2])
    for letter in first {
      XCTAssertEqual(letter.value(at: "queue"), .string(queue))
      XCTAssertEqual(letter.value(at: "exit_code"), 3)
      XCTAssertEqual(letter.value(at: "attempts"), 1)
      XCTAssertEqual(letter.value(at: "error"), "disk full on /scratch")
      XCTAssertNotNil(letter.value(at: "failed_time")?.stringValue)
    }
    XCTAssertEqual(try Broker.depth(queue + ".dlq"), 3)
    // A second look sees the same messages in the same order, now marked redelivered.
    let second = try list(queue + ".dlq")
    XCTAssertEqual(second.map { $0.value(at: "message_id") }, first.map { $0.value(at: "message_id") })
    XCTAssertEqual(second.map { $0.value(at: "redelivered") }, [true, true, true])
    let limited = try list(queue + ".dlq", ["--count", "1"])
    XCTAssertEqual(limited.map { $0.value(at: "body.n") }, [0])
    XCTAssertEqual(try Broker.depth(queue + ".dlq"), 3)
  }

  func testReplayByPositionMessageIdAndFieldResetsTheRetryCount() throws {
    let queue = try deadLetters(4)
    let dlq = queue + ".dlq"
    let ids = try list(dlq).map { $0.value(at: "message_id")!.textValue }
    try replay(dlq, ["--position", "2"])
    try replay(dlq, ["--message-id", ids[3]])
    try replay(dlq, ["--where", "n=0"])  // a top-level body field
    XCTAssertEqual(try list(dlq).map { $0.value(at: "body.n") }, [2])
    let back = try Broker.pikaGet(queue, count: 10)
    XCTAssertEqual(back.map { $0["body"] as? String }, [#"{"n":1}"#, #"{"n":3}"#, #"{"n":0}"#])
    XCTAssertEqual(back.map { $0["message_id"] as? String }, [ids[1], ids[3], ids[0]])
    for message in back {
      let headers = message["headers"] as? [String: Any] ?? [:]
      XCTAssertFalse(headers.keys.contains { $0.hasPrefix("x-clipline-") }, "\(headers)")
    }
    try replay(dlq, ["--where", "x-clipline-exit-code=3", "--to", queue + ".other"], status: 78)
    XCTAssertEqual(try Broker.depth(dlq), 1, "a missing target queue keeps the dead letter")
  }

  /// --dry-run names each chosen dead letter and where it would go, and leaves every message where it was.
  func testReplayDryRunSaysWhatWouldGoWhereAndMovesNothing() throws {
    let queue = try deadLetters(3)
    let dlq = queue + ".dlq"
    let ids = try list(dlq).map { $0.value(at: "message_id")!.textValue }
    let result = try replay(dlq, ["--dry-run", "--where", "n=1"])
    let lines = result.stderr.split(separator: "\n").filter { $0.contains("dry run: would replay the dead letter") }
    XCTAssertEqual(
      lines, ["amqp-dlq: dry run: would replay the dead letter at position 2 (message id \(ids[1])) to \(queue)"])
    XCTAssertTrue(result.stderr.contains("would replay 1 dead letters; all stay on \(dlq)"), result.stderr)
    XCTAssertEqual(try Broker.depth(queue), 0, "nothing published")
    XCTAssertEqual(try list(dlq).map { $0.value(at: "body.n") }, [0, 1, 2], "nothing acked, order kept")
    // The target queue is still checked: a missing one is the same 78 as a real replay.
    try replay(dlq, ["--dry-run", "--all", "--to", queue + ".missing"], status: 78)
    XCTAssertEqual(try Broker.depth(dlq), 3)
  }

  /// kill -9 while a replay runs: every message is on the work queue or still on the dead-letter queue (a
  /// duplicate on both at worst), never on neither.
  func testKillDashNineMidReplayLosesNothing() throws {
    let count = 60
    let queue = try deadLetters(count)
    let running = try RunningTool(
      "amqp-dlq", ["replay", "-q", queue + ".dlq", "--all"], environment: ["AMQP_URL": try Broker.url()])
    let end = Date().addingTimeInterval(30)
    while try Broker.depth(queue) == 0 && running.process.isRunning && Date() < end {
      Thread.sleep(forTimeInterval: 0.005)
    }
    kill(running.process.processIdentifier, SIGKILL)
    running.process.waitUntilExit()
    // The broker requeues what the killed connection held; wait until nothing is unacked any more.
    let settled = Date().addingTimeInterval(15)
    while try Broker.depth(queue) + Broker.depth(queue + ".dlq") < count && Date() < settled {
      Thread.sleep(forTimeInterval: 0.1)
    }
    let replayed = try Broker.pikaGet(queue, count: 2 * count)
    let left = try Broker.pikaGet(queue + ".dlq", count: 2 * count)
    let bodies = Set((replayed + left).compactMap { $0["body"] as? String })
    XCTAssertEqual(bodies, Set((0..<count).map { #"{"n":\#($0)}"# }), "replayed \(replayed.count), left \(left.count)")
  }

  func testReplayNeedsAChoice() throws {
    let result = try ToolInvocation.run("amqp-dlq", ["replay", "-q", "anything.dlq"])
    XCTAssertEqual(result.status, 64)
    XCTAssertTrue(result.stderr.contains("Say which to replay"), result.stderr)
  }

  // MARK: Helpers

  /// A fresh queue whose `count` messages ({"n": 0…}) all failed (exit 3) and sit on QUEUE.dlq.
  private func deadLetters(_ count: Int) throws -> String {
    let queue = Broker.uniqueQueue("dlq")
    let input = (0..<count).map { #"{"n":\#($0)}"# + "\n" }.joined()
    let published = try ToolInvocation.run(
      "amqp-pub", ["-q", queue, "--declare"], stdin: input, environment: ["AMQP_URL": try Broker.url()])
    XCTAssertEqual(published.status, 0, published.stderr)
    let failed = try ToolInvocation.run(
      "amqp-consume",
      [
        "-q", queue, "-c", String(count), "--quiet", "--", "/bin/sh", "-c",
        "cat >/dev/null; echo 'disk full on /scratch' >&2; exit 3",
      ],
      environment: ["AMQP_URL": try Broker.url()])
    XCTAssertEqual(failed.status, 0, failed.stderr)
    XCTAssertEqual(try Broker.waitForDepth(queue + ".dlq", count), count)
    return queue
  }

  private func list(_ queue: String, _ extra: [String] = []) throws -> [Record] {
    let result = try ToolInvocation.run(
      "amqp-dlq", ["list", "-q", queue] + extra, environment: ["AMQP_URL": try Broker.url()])
    XCTAssertEqual(result.status, 0, result.stderr)
    return try result.records()
  }

  @discardableResult
  private func replay(_ queue: String, _ extra: [String], status: Int32 = 0) throws -> ToolResult {
    let result = try ToolInvocation.run(
      "amqp-dlq", ["replay", "-q", queue] + extra, environment: ["AMQP_URL": try Broker.url()])
    XCTAssertEqual(result.status, status, result.stderr)
    return result
  }
}
