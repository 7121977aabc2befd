import CliplineAMQP
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// `amqp-consume`, built, against the real broker.
final class AMQPConsumeToolTests: XCTestCase {
  private func environment() throws -> [String: String] { ["AMQP_URL": try Broker.url()] }

  private func publish(_ input: String, to queue: String, _ extra: [String] = []) throws {
    let result = try ToolInvocation.run(
      "amqp-pub", ["--queue", queue] + extra, stdin: input, environment: try environment())
    XCTAssertEqual(result.status, 0, result.stderr)
  }

  func testTenThousandMessagesWithConcurrencyFourNoneLostNoneDuplicated() throws {
    let queue = Broker.uniqueQueue("tenk")
    try Broker.declare(queue)
    try publish(records(10_000), to: queue)
    // awk writes each handler's line with one write(2), so concurrent handlers never interleave on our stdout.
    let result = try ToolInvocation.run(
      "amqp-consume", ["--queue", queue, "--concurrency", "4", "--count", "10000", "--quiet", "--", "awk", "1"],
      environment: try environment(), timeout: 900)
    XCTAssertEqual(result.status, 0, String(result.stderr.suffix(2000)))
    let seen = try result.records().compactMap { $0["n"]?.integerValue }
    XCTAssertEqual(seen.count, 10_000, "each message handled exactly once")
    XCTAssertEqual(Set(seen), Set((0..<10_000).map(Int64.init)))
    XCTAssertEqual(try Broker.depth(queue), 0)
    XCTAssertEqual(try Broker.depth(queue + ".dlq"), 0)
  }

  func testPrintModeAcksAfterWritingAndHonoursCountAndEnvelope() throws {
    let queue = Broker.uniqueQueue("print")
    try Broker.declare(queue)
    try publish(records(3), to: queue, ["--header", "camera=c{n}"])
    let result = try ToolInvocation.run(
      "amqp-consume", ["--queue", queue, "--count", "2", "--envelope"], environment: try environment())
    XCTAssertEqual(result.status, 0, result.stderr)
    let printed = try result.records()
    XCTAssertEqual(printed.map { $0["n"] }, [0, 1])
    XCTAssertEqual(printed[0].value(at: "amqp.headers.camera"), "c0")
    XCTAssertEqual(printed[0].value(at: "amqp.redelivered"), false)
    XCTAssertEqual(printed[0].value(at: "amqp.properties.delivery_mode"), 2)
    XCTAssertEqual(result.stderr.components(separatedBy: "printed and acked in").count - 1, 2, result.stderr)
    XCTAssertEqual(try Broker.waitForDepth(queue, 1), 1, "the third message stays for the next consumer")
    let idle = try ToolInvocation.run(
      "amqp-consume", ["--queue", queue, "--idle-timeout", "500ms"], environment: try environment())
    XCTAssertEqual(idle.status, 0)
    XCTAssertEqual(idle.stdoutLines, [#"{"n":2}"#])
  }

  func testHandlerGetsBodyEnvironmentAndAPrivateWorkDirectoryRemovedAfterwards() throws {
    let queue = Broker.uniqueQueue("env")
    try Broker.declare(queue)
    try publish(#"{"job":"j1"}"# + "\n", to: queue, ["--header", "camera=cam7", "--message-id-field", "job"])
    let script = #"""
      body=$(cat)
      touch "$CLIPLINE_WORK_DIR/scratch.bin"
      printf '{"body":%s,"key":"%s","id":"%s","redelivered":"%s","headers":%s,"attempt":"%s","dir":"%s","mode":"%s"}\n' \
        "$body" "$AMQP_ROUTING_KEY" "$AMQP_MESSAGE_ID" "$AMQP_REDELIVERED" "$AMQP_HEADERS" "$AMQP_ATTEMPT" \
        "$CLIPLINE_WORK_DIR" "$(stat -c %a "$CLIPLINE_WORK_DIR")"
      """#
    let result = try ToolInvocation.run(
      "amqp-consume", ["--queue", queue, "--count", "1", "--", "/bin/sh", "-c", script], environment: try environment())
    XCTAssertEqual(result.status, 0, result.stderr)
    let record = try XCTUnwrap(try result.records().first)
    XCTAssertEqual(record.value(at: "body.job"), "j1")
    XCTAssertEqual(record["key"], .string(queue))
    XCTAssertEqual(record["id"], "j1")
    XCTAssertEqual(record["redelivered"], "false")
    XCTAssertEqual(record.value(at: "headers.camera"), "cam7")
    XCTAssertEqual(record["attempt"], "1")
    XCTAssertEqual(record["mode"], "700")
    let directory = try XCTUnwrap(record["dir"]?.stringValue)
    XCTAssertFalse(FileManager.default.fileExists(atPath: directory), "the work directory is removed afterwards")
    XCTAssertTrue(result.stderr.contains(#"message "j1" acked in"#), result.stderr)
  }

  func testFailingHandlerLandsOnTheDeadLetterQueueWithTheErrorHeadersThenAcks() throws {
    let queue = Broker.uniqueQueue("fail")
    let dlq = queue + ".failed"
    let scratch = try ScratchDirectory("amqp-fail")
    let hookOutput = scratch.file("hook.txt")
    let declare = try ToolInvocation.run(
      "amqp-pub", ["--queue", queue, "--declare", "--dlq", dlq, "--header-field", "process_id"],
      stdin: #"{"process_id":"p42"}"# + "\n", environment: try environment())
    XCTAssertEqual(declare.status, 0, declare.stderr)
    let result = try ToolInvocation.run(
      "amqp-consume",
      [
        "--queue", queue, "--dlq", dlq, "--count", "1",
        "--on-failure", #"printf '%s|%s|%s' "$(cat)" "$AMQP_EXIT_CODE" "$AMQP_ERROR" > "\#(hookOutput)""#,
        "--", "/bin/sh", "-c", "cat >/dev/null; echo 'cannot reach s3://bucket: disk full' >&2; exit 3",
      ],
      environment: try environment())
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stderr.contains("dead-lettered to \(dlq)"), result.stderr)
    XCTAssertTrue(result.stderr.contains("(exit 3)"), result.stderr)
    XCTAssertEqual(try Broker.depth(queue), 0, "the original was acked")
    let dead = try Broker.pikaGet(dlq)
    XCTAssertEqual(dead.count, 1)
    XCTAssertEqual(dead[0]["body"] as? String, #"{"process_id":"p42"}"#)
    let headers = try XCTUnwrap(dead[0]["headers"] as? [String: Any])
    XCTAssertEqual(headers["x-clipline-error"] as? String, "cannot reach s3://bucket: disk full")
    XCTAssertEqual(headers["x-clipline-exit-code"] as? Int, 3)
    XCTAssertEqual(headers["x-clipline-queue"] as? String, queue)
    XCTAssertEqual(headers["x-clipline-attempts"] as? Int, 1)
    XCTAssertNotNil(RFC3339.parse(headers["x-clipline-failed-at"] as? String ?? ""))
    XCTAssertEqual(headers["process_id"] as? String, "p42", "the original headers stay")
    XCTAssertEqual(dead[0]["delivery_mode"] as? Int, 2)
    let hook = try String(contentsOfFile: hookOutput, encoding: .utf8)
    XCTAssertEqual(hook, #"{"process_id":"p42"}|3|cannot reach s3://bucket: disk full"#)
  }

  func testExit75RetriesWithADelayThenDeadLetters() throws {
    let queue = Broker.uniqueQueue("retry")
    try Broker.declare(queue)
    try publish(records(1), to: queue)
    let scratch = try ScratchDirectory("amqp-retry")
    let attempts = scratch.file("attempts")
    let started = Date()
    let result = try ToolInvocation.run(
      "amqp-consume",
      [
        "--queue", queue, "--count", "3", "--max-retries", "2", "--retry-delay", "300ms", "--",
        "/bin/sh", "-c", "echo $AMQP_ATTEMPT >> \(attempts); echo throttled >&2; exit 75",
      ],
      environment: try environment())
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.9, "300 ms, then 600 ms between attempts")
    XCTAssertEqual(try String(contentsOfFile: attempts, encoding: .utf8), "1\n2\n3\n")
    XCTAssertTrue(result.stderr.contains("retry 1 of 2 in 300ms"), result.stderr)
    XCTAssertTrue(result.stderr.contains("retry 2 of 2 in 600ms"), result.stderr)
    let dead = try Broker.pikaGet(queue + ".dlq")
    XCTAssertEqual(dead.count, 1)
    let headers = try XCTUnwrap(dead[0]["headers"] as? [String: Any])
    XCTAssertEqual(headers["x-clipline-attempts"] as? Int, 3)
    XCTAssertEqual(headers["x-clipline-exit-code"] as? Int, 75)
    XCTAssertEqual(headers["x-clipline-error"] as? String, "throttled")
    XCTAssertEqual(try Broker.depth(queue), 0)
    XCTAssertEqual(try Broker.depth(queue + ".retry"), 0)
  }

  func testTimeoutKillsTheHandlersWholeProcessGroup() throws {
    let queue = Broker.uniqueQueue("timeout")
    try Broker.declare(queue)
    try publish(records(1), to: queue)
    let scratch = try ScratchDirectory("amqp-timeout")
    let pidFile = scratch.file("child.pid")
    let result = try ToolInvocation.run(
      "amqp-consume",
      [
        "--queue", queue, "--count", "1", "--max-retries", "0", "--timeout", "1s", "--",
        "/bin/sh", "-c", "sleep 60 & echo $! > \(pidFile); wait",
      ],
      environment: try environment())
    XCTAssertEqual(result.status, 0, result.stderr)
    let child = try XCTUnwrap(
      Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
    XCTAssertFalse(isAlive(child), "the handler's background child was killed with its group")
    let dead = try Broker.pikaGet(queue + ".dlq")
    let headers = try XCTUnwrap(dead.first?["headers"] as? [String: Any])
    XCTAssertEqual(headers["x-clipline-error"] as? String, "timed out after 1s")
  }

  func testHandlerIsStoppedBeforeTheBrokersConsumerTimeout() throws {
    let queue = Broker.uniqueQueue("ctimeout")
    try Broker.declare(queue)
    try publish(records(1), to: queue)
    let result = try ToolInvocation.run(
      "amqp-consume",
      ["--queue", queue, "--count", "1", "--max-retries", "0", "--consumer-timeout", "2s", "--", "sleep", "30"],
      environment: try environment())
    XCTAssertEqual(result.status, 0, result.stderr)
    let headers = try XCTUnwrap(try Broker.pikaGet(queue + ".dlq").first?["headers"] as? [String: Any])
    XCTAssertEqual(
      headers["x-clipline-error"] as? String,
      "stopped after 1800ms, before the broker's consumer_timeout would close the channel")
    let refused = try ToolInvocation.run(
      "amqp-consume", ["--queue", queue, "--timeout", "2h", "--", "true"], environment: try environment())
    XCTAssertEqual(refused.status, 64)
    XCTAssertTrue(refused.stderr.contains("consumer_timeout"), refused.stderr)
  }

  /// The broker's own consumer_timeout, made short for this test (global in 3.10: the queue argument
  /// x-consumer-timeout is ignored, which this test shows too). Nothing is lost and the log says what to do.
  func testBrokersConsumerTimeoutIsExplainedAndLosesNothing() throws {
    let queue = Broker.uniqueQueue("brokertimeout")
    let connection = try AMQPConnection(try Broker.options())
    try connection.declareQueue(queue + ".dlq")
    try connection.declareQueue(
      queue,
      arguments: [
        "x-dead-letter-exchange": "", "x-dead-letter-routing-key": .string(queue + ".dlq"),
        "x-consumer-timeout": 600_000,
      ])
    connection.close()
    try publish(records(1), to: queue)
    try Broker.control(
      "ctl", "eval",
      "application:set_env(rabbit, consumer_timeout, 1000), application:set_env(rabbit, channel_tick_interval, 500).")
    defer {
      try? Broker.control(
        "ctl", "eval",
        "application:set_env(rabbit, consumer_timeout, 1800000), application:set_env(rabbit, channel_tick_interval, 60000)."
      )
    }
    let result = try ToolInvocation.run(
      "amqp-consume", ["--queue", queue, "--count", "1", "--consumer-timeout", "0", "--", "sleep", "4"],
      environment: try environment(), timeout: 60)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stderr.contains("past its consumer_timeout"), result.stderr)
    XCTAssertTrue(result.stderr.contains("406 PRECONDITION_FAILED - delivery acknowledgement"), result.stderr)
    XCTAssertTrue(result.stderr.contains("the broker delivers it again"), result.stderr)
    XCTAssertEqual(try Broker.waitForDepth(queue, 1), 1, "the message is back in the queue, not lost")
  }

  func testUsageErrorsAreCaughtBeforeAnyMessageIsTaken() throws {
    let queue = Broker.uniqueQueue("usage")
    try Broker.declare(queue)
    try publish(records(1), to: queue)
    let typo = try ToolInvocation.run(
      "amqp-consume", ["--queue", queue, "--", "no-such-handler-xyz"], environment: try environment())
    XCTAssertEqual(typo.status, 64)
    XCTAssertTrue(typo.stderr.contains("\"no-such-handler-xyz\" is not an executable"), typo.stderr)
    let missingDLQ = try ToolInvocation.run(
      "amqp-consume", ["--queue", queue, "--dlq", queue + ".nowhere", "--", "true"], environment: try environment())
    XCTAssertEqual(missingDLQ.status, 78)
    XCTAssertTrue(missingDLQ.stderr.contains("does not exist: create it, or pass --declare"), missingDLQ.stderr)
    XCTAssertEqual(try Broker.depth(queue), 1, "no message was taken")
  }

  func testKillNineDuringAHandlerRedeliversTheMessage() throws {
    let queue = Broker.uniqueQueue("kill9")
    try Broker.declare(queue)
    try publish(#"{"job":"long"}"# + "\n", to: queue)
    let scratch = try ScratchDirectory("amqp-kill9")
    let started = scratch.file("started")
    let consumer = try BackgroundTool(
      "amqp-consume", ["--queue", queue, "--", "/bin/sh", "-c", "echo $$ > \(started); exec sleep 60"],
      environment: try environment(), scratch: scratch)
    try eventually("the handler to start") {
      FileManager.default.fileExists(atPath: started)
        && !((try? String(contentsOfFile: started, encoding: .utf8)) ?? "").isEmpty
    }
    kill(consumer.process.processIdentifier, SIGKILL)
    // The orphaned handler (its own process group) is ours to clean up.
    if let handler = Int32(
      try String(contentsOfFile: started, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
    {
      kill(-handler, SIGKILL)
    }
    _ = try consumer.wait()
    let again = try ToolInvocation.run(
      "amqp-consume", ["--queue", queue, "--count", "1", "--envelope"], environment: try environment(), timeout: 60)
    XCTAssertEqual(again.status, 0, again.stderr)
    let record = try XCTUnwrap(try again.records().first)
    XCTAssertEqual(record["job"], "long")
    XCTAssertEqual(record.value(at: "amqp.redelivered"), true)
  }

  func testSIGTERMLetsTheRunningHandlerFinishRequeuesTheRestAndExitsZero() throws {
    try stopWithARunningHandler(by: SIGTERM)
  }

  /// SIGHUP: the same --grace for the running handler.
  func testSIGHUPLetsTheRunningHandlerFinishRequeuesTheRestAndExitsZero() throws {
    try stopWithARunningHandler(by: SIGHUP)
  }

  private func stopWithARunningHandler(by signal: Int32) throws {
    let queue = Broker.uniqueQueue("term")
    try Broker.declare(queue)
    try publish(records(3), to: queue)
    let scratch = try ScratchDirectory("amqp-term")
    let started = scratch.file("started")
    let health = scratch.file("health.json")
    let consumer = try BackgroundTool(
      "amqp-consume",
      [
        "--queue", queue, "--grace", "20s", "--health-file", health, "--",
        "/bin/sh", "-c", "touch \(started); sleep 2; cat",
      ],
      environment: try environment(), scratch: scratch)
    try eventually("the first handler to start") { FileManager.default.fileExists(atPath: started) }
    kill(consumer.process.processIdentifier, signal)
    XCTAssertEqual(try consumer.wait(timeout: 30), 0, consumer.stderr)
    XCTAssertEqual(consumer.stdout, #"{"n":0}"#, "the running handler finished")
    XCTAssertTrue(consumer.stderr.contains("acked"), consumer.stderr)
    XCTAssertEqual(try Broker.waitForDepth(queue, 2), 2, "the two not started are back in the queue")
    let state = try Record(json: try String(contentsOfFile: health, encoding: .utf8))
    XCTAssertEqual(state["state"], "stopped")
    XCTAssertEqual(state["acked"], 1)
    XCTAssertEqual(state["queue"], .string(queue))
  }

  func testAHandlerStillRunningWhenTheGraceEndsIsStoppedAndItsMessageRequeued() throws {
    let queue = Broker.uniqueQueue("grace")
    try Broker.declare(queue)
    try publish(records(1), to: queue)
    let scratch = try ScratchDirectory("amqp-grace")
    let started = scratch.file("started")
    let consumer = try BackgroundTool(
      "amqp-consume",
      ["--queue", queue, "--grace", "1s", "--", "/bin/sh", "-c", "echo $$ > \(started); exec sleep 60"],
      environment: try environment(), scratch: scratch)
    try eventually("the handler to start") { !((try? String(contentsOfFile: started, encoding: .utf8)) ?? "").isEmpty }
    let handler = try XCTUnwrap(
      Int32(try String(contentsOfFile: started, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
    let signalled = Date()
    kill(consumer.process.processIdentifier, SIGTERM)
    XCTAssertEqual(try consumer.wait(timeout: 30), 0, consumer.stderr)
    XCTAssertLessThan(Date().timeIntervalSince(signalled), 10, "1 s of grace, then SIGTERM to the handler's group")
    XCTAssertTrue(consumer.stderr.contains("grace period over"), consumer.stderr)
    XCTAssertTrue(consumer.stderr.contains("requeued (stopped at shutdown)"), consumer.stderr)
    XCTAssertFalse(isAlive(handler), "the handler was stopped")
    XCTAssertEqual(try Broker.waitForDepth(queue, 1), 1, "its message is back in the queue, untouched")
    XCTAssertEqual(try Broker.depth(queue + ".dlq"), 0)
  }

  func testConsumerReconnectsAfterABrokerRestart() throws {
    let queue = Broker.uniqueQueue("restart-consume")
    try Broker.declare(queue)
    let scratch = try ScratchDirectory("amqp-reconnect")
    let health = scratch.file("health.json")
    let consumer = try BackgroundTool(
      "amqp-consume", ["--queue", queue, "--count", "2", "--health-file", health, "--", "awk", "1"],
      environment: try environment(), scratch: scratch)
    try publish(records(1), to: queue)
    try eventually("the first message") { consumer.stdout.contains(#"{"n":0}"#) }
    try Broker.control("restart")
    // Reconnected but not proved yet: a consumer reconnecting in a loop would never say "connected".
    try eventually(timeout: 60, "the health file to say recovering") {
      consumer.stderr.contains("reconnected")
        && (try? Record(json: String(contentsOfFile: health, encoding: .utf8)))?["state"] == "recovering"
    }
    try publish(records(1, from: 1), to: queue)
    XCTAssertEqual(try consumer.wait(timeout: 120), 0, consumer.stderr)
    XCTAssertEqual(consumer.stdout, "{\"n\":0}\n{\"n\":1}\n")
    XCTAssertTrue(consumer.stderr.contains("reconnected"), consumer.stderr)
    let state = try Record(json: try String(contentsOfFile: health, encoding: .utf8))
    XCTAssertEqual(state["reconnects"], 1)
  }
}

/// Peers nobody here wrote: Debian's amqp-tools (rabbitmq-c's own CLI) and pika.
final class AMQPInteroperabilityTests: XCTestCase {
  func testMessagesFromAmqpPublishAndPikaAreConsumedWithTheirHeaders() throws {
    let queue = Broker.uniqueQueue("interop-in")
    try Broker.declare(queue)
    let url = try Broker.url()
    let published = try ToolInvocation.runProcess(
      "/usr/bin/amqp-publish",
      [
        "--url", url, "-r", queue, "-p", "-C", "application/json", "-H", "camera: cam3",
        "-b", #"{"from":"amqp-publish"}"#,
      ])
    XCTAssertEqual(published.status, 0, published.stderr)
    try Broker.pikaPublish(queue, body: #"{"from":"pika"}"#, headers: ["process_id": "p1"])
    let result = try ToolInvocation.run(
      "amqp-consume", ["--queue", queue, "--count", "2", "--envelope"], environment: ["AMQP_URL": url])
    XCTAssertEqual(result.status, 0, result.stderr)
    let received = try result.records()
    XCTAssertEqual(received.map { $0["from"] }, ["amqp-publish", "pika"])
    XCTAssertEqual(received[0].value(at: "amqp.headers.camera"), "cam3")
    XCTAssertEqual(received[0].value(at: "amqp.properties.delivery_mode"), 2)
    XCTAssertEqual(received[1].value(at: "amqp.headers.process_id"), "p1")
    XCTAssertEqual(received[1].value(at: "amqp.properties.message_id"), "pika-1")
  }

  func testOurMessagesAreReadByAmqpGetAndPika() throws {
    let queue = Broker.uniqueQueue("interop-out")
    try Broker.declare(queue)
    let url = try Broker.url()
    let result = try ToolInvocation.run(
      "amqp-pub", ["--queue", queue, "--header", "camera={camera_id}", "--message-id-field", "process_id"],
      stdin: #"{"camera_id":"c1","process_id":"p1"}"# + "\n" + #"{"camera_id":"c2","process_id":"p2"}"# + "\n",
      environment: ["AMQP_URL": url])
    XCTAssertEqual(result.status, 0, result.stderr)
    let got = try ToolInvocation.runProcess("/usr/bin/amqp-get", ["--url", url, "-q", queue])
    XCTAssertEqual(got.status, 0, got.stderr)
    XCTAssertEqual(got.stdout, #"{"camera_id":"c1","process_id":"p1"}"#)
    let viaPika = try Broker.pikaGet(queue)
    XCTAssertEqual(viaPika.first?["body"] as? String, #"{"camera_id":"c2","process_id":"p2"}"#)
    XCTAssertEqual(viaPika.first?["message_id"] as? String, "p2")
    XCTAssertEqual((viaPika.first?["headers"] as? [String: Any])?["camera"] as? String, "c2")
  }
}
