import CliplineAMQP
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// Queues declared by someone else (the Python services, ops): used as they are; ours stay declarable by them.
final class SharedQueueTests: XCTestCase {
  func testPikaDeclaresPlainlyAQueueWeDeclared() throws {
    let queue = Broker.uniqueQueue("ours")
    let published = try ToolInvocation.run(
      "amqp-pub", ["--queue", queue, "--declare"], stdin: #"{"n":1}"# + "\n",
      environment: ["AMQP_URL": try Broker.url()])
    XCTAssertEqual(published.status, 0, published.stderr)
    try pikaDeclare(queue)
    try pikaDeclare(queue + ".dlq")
  }

  func testWeConsumeAndDeadLetterOnQueuesPikaDeclaredPlainly() throws {
    let queue = Broker.uniqueQueue("theirs")
    try pikaDeclare(queue)
    try pikaDeclare(queue + ".dlq")
    try Broker.pikaPublish(queue, body: #"{"n":1}"#, headers: [:])
    let result = try ToolInvocation.run(
      "amqp-consume",
      [
        "--queue", queue, "--declare", "--count", "1", "--", "/bin/sh", "-c", "cat >/dev/null; echo broken >&2; exit 3",
      ],
      environment: ["AMQP_URL": try Broker.url()])
    XCTAssertEqual(result.status, 0, result.stderr)
    let dead = try Broker.pikaGet(queue + ".dlq")
    XCTAssertEqual(dead.first?["body"] as? String, #"{"n":1}"#)
    XCTAssertEqual((dead.first?["headers"] as? [String: Any])?["x-clipline-exit-code"] as? Int, 3)
    // Both are still the plain queues pika declared: a plain declare still succeeds.
    try pikaDeclare(queue)
    try pikaDeclare(queue + ".dlq")
  }

  func testATTLAskedOfAQueueThatHasNoneIsOneSentenceAndExit78() throws {
    let queue = Broker.uniqueQueue("nottl")
    try pikaDeclare(queue)
    let result = try ToolInvocation.run(
      "amqp-consume", ["--queue", queue, "--declare", "--message-ttl", "1h", "--count", "1"],
      environment: ["AMQP_URL": try Broker.url()])
    XCTAssertEqual(result.status, 78, result.stderr)
    XCTAssertTrue(
      result.stderr.contains("the queue \"\(queue)\" exists without the arguments this needs"), result.stderr)
    XCTAssertTrue(result.stderr.contains("x-message-ttl=3600000"), result.stderr)
    XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
  }

  /// pika's `queue_declare(q, durable=True)`, as the Python services do it; fails the test if the broker refuses.
  private func pikaDeclare(_ queue: String) throws {
    let result = try ToolInvocation.runProcess(
      "/usr/bin/env",
      [
        "python3", "-c",
        "import os,sys,pika; c=pika.BlockingConnection(pika.URLParameters(os.environ['AMQP_URL'])).channel(); "
          + "c.queue_declare(sys.argv[1], durable=True)", queue,
      ],
      environment: ["AMQP_URL": try Broker.url()])
    XCTAssertEqual(result.status, 0, "pika could not declare \(queue) plainly: \(result.stderr)")
  }
}
