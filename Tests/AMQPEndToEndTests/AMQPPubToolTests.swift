import CliplineAMQP
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// `amqp-pub`, built, against the real broker: stdout, stderr and exit codes.
final class AMQPPubToolTests: XCTestCase {
  func testPublishesConfirmsAndTeesAndNamesABadLine() throws {
    let queue = Broker.uniqueQueue("pub")
    let input = records(2) + "not json\n" + records(1, from: 2)
    let result = try ToolInvocation.run(
      "amqp-pub", ["--queue", queue, "--declare", "--tee", "--header", "src=cam-{n}", "--header-field", "n"],
      stdin: input, environment: ["AMQP_URL": try Broker.url()])
    XCTAssertEqual(result.status, 65, result.stderr)
    XCTAssertEqual(result.stdoutLines, [#"{"n":0}"#, #"{"n":1}"#, #"{"n":2}"#])
    XCTAssertTrue(result.stderr.contains("amqp-pub: error (line 3): not a JSON object"), result.stderr)
    let messages = try Broker.pikaGet(queue, count: 10)
    XCTAssertEqual(messages.map { $0["body"] as? String }, [#"{"n":0}"#, #"{"n":1}"#, #"{"n":2}"#])
    let first = messages[0]
    XCTAssertEqual(first["content_type"] as? String, "application/json")
    XCTAssertEqual(first["delivery_mode"] as? Int, 2)
    XCTAssertNotNil(first["message_id"] as? String)
    XCTAssertNotNil(first["timestamp"] as? Int)
    let headers = first["headers"] as? [String: Any]
    XCTAssertEqual(headers?["src"] as? String, "cam-0")
    XCTAssertEqual(headers?["n"] as? Int, 0)
  }

  func testUnroutableMessageFailsLoudly() throws {
    let result = try ToolInvocation.run(
      "amqp-pub", ["--queue", Broker.uniqueQueue("nowhere")], stdin: records(1),
      environment: ["AMQP_URL": try Broker.url()])
    XCTAssertEqual(result.status, 69)
    XCTAssertTrue(result.stderr.contains("error (line 1): unroutable"), result.stderr)
    XCTAssertTrue(result.stderr.contains("NO_ROUTE"), result.stderr)
  }

  func testExchangeAndRoutingKeyFromTheRecord() throws {
    let queue = Broker.uniqueQueue("routed")
    try Broker.declare(queue)
    // amq.direct exists on every broker; bind our queue to it with the queue's own name.
    let bind = try ToolInvocation.runProcess(
      "/usr/bin/env",
      [
        "python3", "-c",
        "import os,pika; c=pika.BlockingConnection(pika.URLParameters(os.environ['AMQP_URL'])).channel(); "
          + "c.queue_bind('\(queue)', 'amq.direct', '\(queue)')",
      ],
      environment: ["AMQP_URL": try Broker.url()])
    XCTAssertEqual(bind.status, 0, bind.stderr)
    let result = try ToolInvocation.run(
      "amqp-pub", ["--exchange", "amq.{kind}", "--routing-key", "{target}"],
      stdin: #"{"kind":"direct","target":"\#(queue)"}"# + "\n", environment: ["AMQP_URL": try Broker.url()])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(try Broker.waitForDepth(queue, 1), 1)
  }

  /// In JSON, the error line of a record amqp-pub refuses names the record's ids (issue 25).
  func testARefusedRecordsJSONErrorLineNamesItsIDs() throws {
    let result = try ToolInvocation.run(
      "amqp-pub", ["--routing-key", "{target}"], stdin: #"{"process_id":501,"camera_id":"cam-1"}"# + "\n",
      environment: ["AMQP_URL": try Broker.url(), "CLIPLINE_LOG_FORMAT": "json"])
    XCTAssertEqual(result.status, 65, result.stderr)
    let line = try Record(json: String(try XCTUnwrap(result.stderr.split(separator: "\n").first)))
    XCTAssertEqual(line["line"], .integer(1), result.stderr)
    XCTAssertEqual(line["process_id"], .integer(501), result.stderr)
    XCTAssertEqual(line["camera_id"], .string("cam-1"), result.stderr)
  }

  /// amqp-pub connects and declares when it starts, not on its first record: at the end of a pipe the handshake
  /// overlaps the stages before it (the S2 task waited for it after its upload).
  func testItConnectsAndDeclaresBeforeTheFirstRecord() throws {
    let queue = Broker.uniqueQueue("pub-eager")
    let scratch = try ScratchDirectory("amqp-pub-eager")
    let publisher = try BackgroundTool(
      "amqp-pub", ["--queue", queue, "--declare"], environment: ["AMQP_URL": try Broker.url()], scratch: scratch)
    try eventually("the queue declared while stdin is still empty") { (try? Broker.depth(queue)) == 0 }
    try publisher.write(records(1))
    try publisher.closeInput()
    XCTAssertEqual(try publisher.wait(timeout: 30), 0, publisher.stderr)
    XCTAssertEqual(try Broker.waitForDepth(queue, 1), 1)
  }

  func testSIGTERMConfirmsWhatWasReadAndExits75() throws {
    let queue = Broker.uniqueQueue("pub-term")
    try Broker.declare(queue)
    let scratch = try ScratchDirectory("amqp-pub-term")
    let publisher = try BackgroundTool(
      "amqp-pub", ["--queue", queue, "--tee"], environment: ["AMQP_URL": try Broker.url()], scratch: scratch)
    try publisher.write(records(10))  // and stdin stays open, like an upstream that has not finished
    try eventually("ten confirms") { publisher.stdout.split(separator: "\n").count == 10 }
    kill(publisher.process.processIdentifier, SIGTERM)
    XCTAssertEqual(try publisher.wait(timeout: 30), 75, publisher.stderr)
    XCTAssertTrue(publisher.stderr.contains("the 10 messages read before it were confirmed"), publisher.stderr)
    XCTAssertEqual(try Broker.waitForDepth(queue, 10), 10)
  }

  func testBrokerRestartLosesNoConfirmedMessage() throws {
    let queue = Broker.uniqueQueue("restart-pub")
    try Broker.declare(queue)
    let scratch = try ScratchDirectory("amqp-restart")
    let publisher = try BackgroundTool(
      "amqp-pub", ["--queue", queue, "--tee", "--reconnect-for", "120s", "--window", "64"],
      environment: ["AMQP_URL": try Broker.url()], scratch: scratch)
    try publisher.write(records(3000))
    try eventually("the first confirms") { publisher.stdout.split(separator: "\n").count >= 100 }
    // Stop the broker while messages are in flight, keep feeding, bring it back.
    try Broker.control("kill")
    try publisher.write(records(2000, from: 3000))
    // Meanwhile a publisher that may not wait says how many of its messages were confirmed, and exits 69.
    let impatient = try ToolInvocation.run(
      "amqp-pub", ["--queue", queue, "--reconnect-for", "1s"], stdin: records(1),
      environment: ["AMQP_URL": try Broker.url()])
    XCTAssertEqual(impatient.status, 69, impatient.stderr)
    XCTAssertTrue(impatient.stderr.contains("0 messages were confirmed"), impatient.stderr)
    try Broker.control("revive")
    try publisher.closeInput()
    XCTAssertEqual(try publisher.wait(timeout: 180), 0, publisher.stderr)
    XCTAssertTrue(publisher.stderr.contains("reconnect"), publisher.stderr)
    let confirmed = Set(publisher.stdout.split(separator: "\n").map(String.init))
    XCTAssertEqual(confirmed.count, 5000, "every record was confirmed in the end")
    // Everything confirmed is in the queue (at-least-once: a republished message may be there twice).
    let consumed = try ToolInvocation.run(
      "amqp-consume", ["--queue", queue, "--idle-timeout", "2s", "--quiet"], environment: ["AMQP_URL": try Broker.url()]
    )
    XCTAssertEqual(consumed.status, 0, consumed.stderr)
    let stored = Set(consumed.stdoutLines)
    XCTAssertTrue(confirmed.isSubset(of: stored), "lost: \(confirmed.subtracting(stored).prefix(5))")
  }

  func testDeclareMakesAQuorumQueueWithTTLAndItsDeadLetterQueueIdempotently() throws {
    let queue = Broker.uniqueQueue("quorum")
    let arguments = ["--queue", queue, "--declare", "--quorum", "--message-ttl", "1h", "--dlq", queue + ".dead"]
    for _ in 0..<2 {
      let result = try ToolInvocation.run(
        "amqp-pub", arguments, stdin: records(1), environment: ["AMQP_URL": try Broker.url()])
      XCTAssertEqual(result.status, 0, result.stderr)
    }
    let listed = try ToolInvocation.runProcess(
      try TestServices.require("RABBITMQ_SERVICE_SCRIPT"),
      [
        "ctl", try TestServices.require("RABBITMQ_SERVICE_DIR"), "list_queues", "name", "type", "durable", "arguments",
        "--no-table-headers", "--quiet",
      ])
    let line = try XCTUnwrap(listed.stdout.split(separator: "\n").first { $0.hasPrefix(queue + "\t") }, listed.stdout)
    XCTAssertTrue(line.contains("\tquorum\ttrue\t"), String(line))
    XCTAssertTrue(line.contains(#"{"x-message-ttl",3600000}"#), String(line))
    XCTAssertTrue(line.contains(#"{"x-dead-letter-routing-key","\#(queue).dead"}"#), String(line))
    XCTAssertTrue(listed.stdout.contains(queue + ".dead\tquorum\ttrue"), listed.stdout)
    XCTAssertEqual(try Broker.waitForDepth(queue, 2), 2)
    // A plain --declare uses the queue as it is.
    let plain = try ToolInvocation.run(
      "amqp-pub", ["--queue", queue, "--declare", "--dlq", queue + ".dead"], stdin: records(1),
      environment: ["AMQP_URL": try Broker.url()])
    XCTAssertEqual(plain.status, 0, plain.stderr)
    let otherTTL = try ToolInvocation.run(
      "amqp-pub", arguments.map { $0 == "1h" ? "2h" : $0 }, stdin: records(1),
      environment: ["AMQP_URL": try Broker.url()])
    XCTAssertEqual(otherTTL.status, 78)
    XCTAssertTrue(otherTTL.stderr.contains("exists without the arguments this needs"), otherTTL.stderr)
  }

  func testConnectionNameAndHeartbeatReachTheBroker() throws {
    let queue = Broker.uniqueQueue("named")
    try Broker.declare(queue)
    let scratch = try ScratchDirectory("amqp-named")
    let name = "clipline-test-\(UUID().uuidString.prefix(6))"
    let consumer = try BackgroundTool(
      "amqp-consume", ["--queue", queue, "--connection-name", name, "--heartbeat", "7"],
      environment: ["AMQP_URL": try Broker.url()], scratch: scratch)
    defer {
      kill(consumer.process.processIdentifier, SIGTERM)
      _ = try? consumer.wait()
    }
    var listed = ""
    try eventually(timeout: 30, "the connection to show up") {
      listed = try ToolInvocation.runProcess(
        try TestServices.require("RABBITMQ_SERVICE_SCRIPT"),
        [
          "ctl", try TestServices.require("RABBITMQ_SERVICE_DIR"), "list_connections", "timeout", "client_properties",
          "--no-table-headers", "--quiet",
        ]
      ).stdout
      return listed.contains(name)
    }
    let line = try XCTUnwrap(listed.split(separator: "\n").first { $0.contains(name) })
    XCTAssertTrue(line.hasPrefix("7\t"), String(line))
  }

  func testTLSVerifiesTheBrokerAndRefusesAWrongCA() throws {
    let url = try TestServices.require("AMQPS_URL")
    let queue = Broker.uniqueQueue("tls")
    let good = try ToolInvocation.run(
      "amqp-pub",
      [
        "--url", url, "--ca-file", try TestServices.require("AMQP_TEST_CA_FILE"), "--queue", queue,
        "--declare",
      ], stdin: records(1))
    XCTAssertEqual(good.status, 0, good.stderr)
    XCTAssertEqual(try Broker.waitForDepth(queue, 1), 1)
    for arguments in [["--ca-file", try TestServices.require("AMQP_TEST_WRONG_CA_FILE")], []] {
      let refused = try ToolInvocation.run(
        "amqp-pub", ["--url", url, "--queue", queue, "--reconnect-for", "0"] + arguments, stdin: records(1))
      XCTAssertEqual(refused.status, 78, refused.stderr)
      XCTAssertTrue(refused.stderr.contains("verification failed"), refused.stderr)
    }
    XCTAssertEqual(try Broker.depth(queue), 1, "nothing was sent to a broker we could not verify")
  }

  func testConnectTimeoutBoundsASilentServer() throws {
    // A TCP listener that never speaks AMQP: the connection opens, the handshake never completes.
    let scratch = try ScratchDirectory("amqp-silent")
    let silent = Process()
    silent.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    silent.arguments = [
      "python3", "-c",
      """
      import socket, time
      s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
      open("\(scratch.file("port"))", "w").write(str(s.getsockname()[1])); time.sleep(60)
      """,
    ]
    try silent.run()
    defer { silent.terminate() }
    var port = ""
    try eventually("the silent server") {
      port = (try? String(contentsOfFile: scratch.file("port"), encoding: .utf8)) ?? ""
      return !port.isEmpty
    }
    let started = Date()
    let result = try ToolInvocation.run(
      "amqp-pub",
      [
        "--url", "amqp://guest:guest@127.0.0.1:\(port)/%2f", "--connect-timeout", "1s",
        "--reconnect-for", "0", "--queue", "q",
      ], stdin: records(1))
    XCTAssertEqual(result.status, 69, result.stderr)
    XCTAssertLessThan(Date().timeIntervalSince(started), 10, "bounded by --connect-timeout, not hanging")
    XCTAssertTrue(result.stderr.contains("logging in"), result.stderr)
  }

  func testClientCertificatesAreSentAndARogueOneIsRefused() throws {
    let url = try TestServices.require("AMQPS_URL")
    let queue = Broker.uniqueQueue("mtls")
    let tls = [
      "--url", url, "--ca-file", try TestServices.require("AMQP_TEST_CA_FILE"), "--queue", queue,
      "--reconnect-for", "0",
    ]
    let accepted = try ToolInvocation.run(
      "amqp-pub",
      tls + [
        "--declare", "--cert-file", try TestServices.require("AMQP_TEST_CLIENT_CERT"),
        "--key-file", try TestServices.require("AMQP_TEST_CLIENT_KEY"),
      ], stdin: records(1))
    XCTAssertEqual(accepted.status, 0, accepted.stderr)
    let rogue = try ToolInvocation.run(
      "amqp-pub",
      tls + [
        "--cert-file", try TestServices.require("AMQP_TEST_ROGUE_CERT"),
        "--key-file", try TestServices.require("AMQP_TEST_ROGUE_KEY"),
      ], stdin: records(1))
    XCTAssertEqual(rogue.status, 78, rogue.stderr)
    XCTAssertTrue(rogue.stderr.contains("client certificate"), rogue.stderr)
    XCTAssertEqual(try Broker.waitForDepth(queue, 1), 1, "only the accepted client's message arrived")
  }

  func testBadCredentialsAndEmptyVhostAreExplained() throws {
    let url = try Broker.url()
    let wrongPassword = url.replacingOccurrences(of: "guest:guest@", with: "guest:wrong@")
    let denied = try ToolInvocation.run(
      "amqp-pub", ["--url", wrongPassword, "--queue", "q", "--reconnect-for", "0"], stdin: records(1))
    XCTAssertEqual(denied.status, 77)
    XCTAssertTrue(denied.stderr.contains("ACCESS_REFUSED"), denied.stderr)
    XCTAssertFalse(denied.stderr.contains("wrong"), "the password is not printed")
    let emptyVhost = String(url.dropLast(3))  // ".../%2f" → ".../"
    let vhost = try ToolInvocation.run(
      "amqp-pub", ["--url", emptyVhost, "--queue", "q", "--reconnect-for", "0"], stdin: records(1))
    XCTAssertEqual(vhost.status, 77)
    XCTAssertTrue(vhost.stderr.contains("/%2f for the default vhost"), vhost.stderr)
  }
}
