import CliplineAMQP
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// amqp-consume never hangs, never blames the message for its own trouble, and keeps what a message carried
/// (issue 24, items 2, 6, 7, 11, 14 and 15).
final class AMQPConsumeStopsTests: XCTestCase {
  private func environment() throws -> [String: String] { ["AMQP_URL": try Broker.url()] }

  private func peer(_ arguments: [String]) throws -> [[String: Any]] {
    let result = try ToolInvocation.runProcess(
      "/usr/bin/env", ["python3", Broker.peerScript] + arguments, environment: try environment())
    guard result.status == 0 else { throw TestFailure("amqp_peer \(arguments[0]) failed: \(result.stderr)") }
    return try result.stdoutLines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
  }

  /// Item 2: the queue deleted under the consumer (basic.cancel) and declared again. Before, nothing reacted: the
  /// consumer consumed nothing for ever and its health file said "connected".
  func testAConsumerWhoseQueueIsDeletedSubscribesAgainOnceItExists() throws {
    let queue = Broker.uniqueQueue("cancelled")
    try Broker.declare(queue)
    let scratch = try ScratchDirectory("cancelled")
    let health = scratch.file("health.json")
    let consumer = try BackgroundTool(
      "amqp-consume", ["-q", queue, "--count", "1", "--health-file", health], environment: try environment(),
      scratch: scratch)
    func state() -> String? {
      (try? Record(json: String(contentsOfFile: health, encoding: .utf8)))?["state"]?.stringValue
    }
    try eventually("the consumer to start") { state() != nil }
    try Broker.control("ctl", "delete_queue", queue)
    try eventually("the consumer to notice") { consumer.stderr.contains("cancelled our subscription") }
    try eventually(timeout: 10, "the health file to stop saying connected") { state() == "reconnecting" }
    try Broker.declare(queue)
    try Broker.pikaPublish(queue, body: #"{"n":1}"#, headers: [:])
    XCTAssertEqual(try consumer.wait(timeout: 60), 0, consumer.stderr)
    XCTAssertEqual(consumer.stdout, "{\"n\":1}\n")
  }

  /// Item 6: what a handler leaves running in its process group dies when it exits, whether it keeps the
  /// handler's stderr open (before, the message waited for it) or not (before, it outlived the ack).
  func testWhatAHandlerLeavesBehindDiesWithIt() throws {
    let queue = Broker.uniqueQueue("leftovers")
    try Broker.declare(queue)
    for n in 0..<2 { try Broker.pikaPublish(queue, body: "{\"n\":\(n)}", headers: [:]) }
    let script = #"cat >/dev/null; (sleep 77.1 >/dev/null 2>&1 &); (sleep 77.2 &); echo started >&2"#
    let result = try ToolInvocation.run(
      "amqp-consume", ["-q", queue, "--count", "2", "--", "/bin/sh", "-c", script], environment: try environment(),
      timeout: 40)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(result.stderr.components(separatedBy: "acked").count - 1, 2, result.stderr)
    try eventually(timeout: 10, "the handlers' leftovers to be gone") {
      let left = try ToolInvocation.runProcess("/usr/bin/pgrep", ["-f", "sleep 77\\.[12]"])
      return left.stdout.isEmpty
    }
  }

  /// Item 7: a handler that cannot start because the consumer is out of descriptors is the consumer's problem:
  /// the message is requeued (not an attempt), fewer handlers run at once, and none is dead-lettered. Before,
  /// each was recorded as "exit 127" and dead-lettered at once, 30 of 30.
  func testHandlersThatCannotStartForWantOfDescriptorsAreRequeuedNotDeadLettered() throws {
    let queue = try queueOf30()
    let result = try consume(queue, descriptors: 20, stopping: ["--idle-timeout", "3s"])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(try Broker.depth(queue + ".dlq"), 0, "nothing dead-lettered: \(result.stderr)")
    XCTAssertEqual(try Broker.depth(queue), 0, "every message handled in the end")
    XCTAssertFalse(result.stderr.contains("exit 127"), result.stderr)
    XCTAssertTrue(result.stderr.contains("out of file descriptors (ulimit -n is 20)"), result.stderr)
    XCTAssertTrue(result.stderr.contains("handlers at once from now on"), result.stderr)
  }

  /// Item 7: when not even one handler can start and none runs, waiting helps nothing: exit 75 with the sentence,
  /// every message left on the queue for a consumer that can run it.
  func testAConsumerThatCannotStartAnyHandlerExits75AndKeepsEveryMessage() throws {
    let queue = try queueOf30()
    let result = try consume(queue, descriptors: 16, stopping: ["--count", "30"])
    XCTAssertEqual(result.status, 75, result.stderr)
    XCTAssertTrue(result.stderr.contains("not even one handler can start"), result.stderr)
    XCTAssertEqual(try Broker.depth(queue + ".dlq"), 0, result.stderr)
    XCTAssertEqual(try Broker.waitForDepth(queue, 30), 30, "every message is still there")
  }

  private func queueOf30() throws -> String {
    let queue = Broker.uniqueQueue("emfile")
    try Broker.declare(queue)
    _ = try ToolInvocation.run("amqp-pub", ["-q", queue], stdin: records(30), environment: try environment())
    XCTAssertEqual(try Broker.waitForDepth(queue, 30), 30)
    return queue
  }

  /// amqp-consume --jobs 4 under `ulimit -n descriptors`, each handler a moment long.
  private func consume(_ queue: String, descriptors: Int, stopping: [String]) throws -> ToolResult {
    try ToolInvocation.runProcess(
      "/bin/sh",
      [
        "-c", "ulimit -n \(descriptors) && exec \"$@\"", "sh", ToolInvocation.path(of: "amqp-consume"), "-q", queue,
        "--jobs", "4",
      ] + stopping + ["--", "/bin/sh", "-c", "cat >/dev/null; sleep 0.2"], environment: try environment(),
      timeout: 120)
  }

  /// Item 14: amqp-tools' own invocation on a queue without a dead-letter queue. Before: exit 78.
  func testWithoutADeadLetterQueueItRunsAsAmqpToolsDoesAndSaysWhatHappensToFailures() throws {
    let queue = Broker.uniqueQueue("nodlq")
    let connection = try AMQPConnection(try Broker.options())
    try connection.declareQueue(queue)
    connection.close()
    for n in 0..<2 { try Broker.pikaPublish(queue, body: "{\"n\":\(n)}", headers: [:]) }
    let url = try Broker.url()
    let ours = try ToolInvocation.run("amqp-consume", ["-u", url, "-q", queue, "-c", "1", "cat"])
    XCTAssertEqual(ours.status, 0, ours.stderr)
    XCTAssertEqual(ours.stdout, #"{"n":0}"#)
    XCTAssertEqual(ours.stderr.components(separatedBy: "does not exist and no --dlq was given").count - 1, 1)
    let failing = try ToolInvocation.run("amqp-consume", ["-u", url, "-q", queue, "-c", "1", "false"])
    XCTAssertEqual(failing.status, 0, failing.stderr)
    XCTAssertTrue(failing.stderr.contains("rejected without requeue"), failing.stderr)
    XCTAssertEqual(try Broker.depth(queue), 0, "rejected, as amqp-tools' consumer drops it")
    // A dead-letter queue that was asked for must exist.
    let named = try ToolInvocation.run("amqp-consume", ["-u", url, "-q", queue, "--dlq", "nowhere", "-c", "1", "cat"])
    XCTAssertEqual(named.status, 78, named.stderr)
  }

  /// Item 15: a dead letter keeps every property the message came with (priority was dropped), and its failure
  /// time is an AMQP timestamp, as the broker's own x-death times are (it was a string).
  func testADeadLetterKeepsEveryPropertyAndItsTimeIsATimestamp() throws {
    let queue = Broker.uniqueQueue("props")
    try Broker.declare(queue)
    _ = try peer(["publish-full", queue, #"{"n":1}"#])
    let result = try ToolInvocation.run(
      "amqp-consume", ["-q", queue, "--count", "1", "--", "/bin/sh", "-c", "cat >/dev/null; exit 3"],
      environment: try environment())
    XCTAssertEqual(result.status, 0, result.stderr)
    let dead = try XCTUnwrap(try peer(["get-typed", queue + ".dlq"]).first)
    let expected: [String: Any] = [
      "priority": 7, "correlation_id": "corr-1", "reply_to": "replies", "type": "m0.request", "app_id": "m0-api",
      "user_id": "guest", "content_encoding": "identity", "message_id": "full-1", "timestamp": 1_700_000_000,
      "delivery_mode": 2, "content_type": "application/json",
    ]
    for (name, value) in expected {
      XCTAssertEqual(dead[name].map { "\($0)" }, "\(value)", "property \(name) of the dead letter")
    }
    let headers = try XCTUnwrap(dead["headers"] as? [String: [String: Any]])
    XCTAssertEqual(headers["x-clipline-failed-at"]?["t"] as? String, "T", "\(headers)")
    XCTAssertEqual(headers["process_id"]?["v"] as? String, "p9")
  }

  /// Item 11: every credential shape the tools accept, written by a failing handler, is masked in the dead
  /// letter's x-clipline-error (anyone who reads the dead-letter queue reads it).
  func testSecretsOnAHandlersStderrNeverReachTheDeadLetter() throws {
    let queue = Broker.uniqueQueue("secrets")
    try Broker.declare(queue)
    try Broker.pikaPublish(queue, body: #"{"n":1}"#, headers: [:])
    let secrets = ["wJalrXUtnFEMIK7MDENG", "hunter2pw", "r3dis-pass", "MIIEowIBAAKCAQEAu1SU", "tok-from-flag"]
    let script = """
      cat >/dev/null
      echo '{"aws_secret_access_key": "wJalrXUtnFEMIK7MDENG", "password": "hunter2pw"}' >&2
      echo 'cannot reach redis://:r3dis-pass@127.0.0.1:6379' >&2
      printf -- '-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEAu1SU\\n-----END RSA PRIVATE KEY-----\\n' >&2
      echo '+ blob-put --secret-access-key tok-from-flag --to s3://b/k' >&2
      exit 3
      """
    let result = try ToolInvocation.run(
      "amqp-consume", ["-q", queue, "--count", "1", "--", "/bin/sh", "-c", script], environment: try environment())
    XCTAssertEqual(result.status, 0, result.stderr)
    let dead = try XCTUnwrap(try Broker.pikaGet(queue + ".dlq").first)
    let error = try XCTUnwrap((dead["headers"] as? [String: Any])?["x-clipline-error"] as? String)
    for secret in secrets {
      XCTAssertFalse(error.contains(secret), "x-clipline-error keeps \(secret): \(error)")
      XCTAssertFalse(result.stderr.contains(secret), "stderr keeps \(secret): \(result.stderr)")
    }
    XCTAssertTrue(error.contains("--to s3://b/k"), error)
  }
}
