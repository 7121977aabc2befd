import CliplineAMQP
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// A script written for Debian's amqp-tools keeps working with ours: the same invocation, run against
/// /usr/bin/amqp-publish or /usr/bin/amqp-consume and against amqp-pub or amqp-consume, does the same thing.
final class AMQPToolsCompatibilityTests: XCTestCase {
  func testTheSameAmqpPublishInvocationPublishesTheSameMessage() throws {
    let queue = Broker.uniqueQueue("compatpub")
    try Broker.declare(queue)
    let arguments = [
      "-u", try Broker.url(), "-r", queue, "-p", "-C", "application/json", "-E", "identity", "-t", "replies",
      "-H", "src: cam-1", "-b", #"{"n":1}"#,
    ]
    let theirs = try ToolInvocation.runProcess("/usr/bin/amqp-publish", arguments)
    XCTAssertEqual(theirs.status, 0, theirs.stderr)
    let ours = try ToolInvocation.run("amqp-pub", arguments)
    XCTAssertEqual(ours.status, 0, ours.stderr)
    let messages = try Broker.pikaGet(queue, count: 2)
    XCTAssertEqual(messages.count, 2)
    for message in messages {
      XCTAssertEqual(message["body"] as? String, #"{"n":1}"#)
      XCTAssertEqual(message["content_type"] as? String, "application/json")
      XCTAssertEqual(message["delivery_mode"] as? Int, 2)
      XCTAssertEqual((message["headers"] as? [String: Any])?["src"] as? String, "cam-1")
    }
  }

  /// amqp-publish -l sends each line with its newline; amqp-pub sends the record without it: the same JSON.
  func testLineBufferedStdinIsOneMessageALineInBoth() throws {
    let queue = Broker.uniqueQueue("compatlines")
    try Broker.declare(queue)
    let text = "{\"n\":1}\n{\"n\":2}\n"
    let input = Data(text.utf8)
    let arguments = ["-u", try Broker.url(), "-r", queue, "-l", "-p"]
    let theirs = try ToolInvocation.runProcess("/usr/bin/amqp-publish", arguments, stdin: input)
    XCTAssertEqual(theirs.status, 0, theirs.stderr)
    let ours = try ToolInvocation.run("amqp-pub", arguments, stdin: text)
    XCTAssertEqual(ours.status, 0, ours.stderr)
    let bodies = try Broker.pikaGet(queue, count: 4).map {
      try Record(json: ($0["body"] as? String ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
    }
    XCTAssertEqual(bodies.map { $0.value(at: "n") }, [1, 2, 1, 2])
  }

  func testTheSameAmqpConsumeInvocationRunsTheCommandOnTheBody() throws {
    let queue = Broker.uniqueQueue("compatconsume")
    try Broker.declare(queue)
    try Broker.pikaPublish(queue, body: #"{"n":1}"#, headers: [:])
    try Broker.pikaPublish(queue, body: #"{"n":2}"#, headers: [:])
    let arguments = ["-u", try Broker.url(), "-q", queue, "-c", "1", "-p", "1", "cat"]
    let theirs = try ToolInvocation.runProcess("/usr/bin/amqp-consume", arguments)
    XCTAssertEqual(theirs.status, 0, theirs.stderr)
    XCTAssertEqual(theirs.stdout, #"{"n":1}"#)
    let ours = try ToolInvocation.run("amqp-consume", arguments)
    XCTAssertEqual(ours.status, 0, ours.stderr)
    XCTAssertEqual(ours.stdout, #"{"n":2}"#)
    XCTAssertEqual(try Broker.depth(queue), 0)
  }

  func testExchangeAndRoutingKeyBindTheQueueAsAmqpToolsDoes() throws {
    let queue = Broker.uniqueQueue("compatbind")
    try Broker.declare(queue)
    let key = "compat." + queue
    // Ours binds, then (idle) stops; a message published to the exchange with the key then reaches the queue.
    let bound = try ToolInvocation.run(
      "amqp-consume", ["-u", try Broker.url(), "-q", queue, "-e", "amq.direct", "-r", key, "--idle-timeout", "0.2s"])
    XCTAssertEqual(bound.status, 0, bound.stderr)
    let published = try ToolInvocation.runProcess(
      "/usr/bin/amqp-publish", ["-u", try Broker.url(), "-e", "amq.direct", "-r", key, "-b", #"{"n":1}"#])
    XCTAssertEqual(published.status, 0, published.stderr)
    XCTAssertEqual(try Broker.waitForDepth(queue, 1), 1)
  }

  func testOldSpellingsStayAsHiddenAliases() throws {
    let queue = Broker.uniqueQueue("aliases")
    try Broker.declare(queue)
    let input = (0..<3).map { #"{"n":\#($0)}"# + "\n" }.joined()
    let published = try ToolInvocation.run(
      "amqp-pub", ["--url", try Broker.url(), "--queue", queue, "--quiet"], stdin: input)
    XCTAssertEqual(published.status, 0, published.stderr)
    let consumed = try ToolInvocation.run(
      "amqp-consume",
      ["--url", try Broker.url(), "--queue", queue, "--count", "3", "--concurrency", "2", "--quiet", "--", "cat"])
    XCTAssertEqual(consumed.status, 0, consumed.stderr)
    XCTAssertEqual(consumed.stdout.count, 3 * #"{"n":0}"#.count)
    XCTAssertEqual(consumed.stderr, "")
    let help = try ToolInvocation.run("amqp-consume", ["--help"])
    XCTAssertTrue(help.stdout.contains("--jobs"), help.stdout)
    XCTAssertFalse(help.stdout.contains("--concurrency"), help.stdout)
    XCTAssertTrue(help.stdout.contains("-q, --queue"), help.stdout)
    XCTAssertTrue(help.stdout.contains("-p, --prefetch-count"), help.stdout)
  }
}
