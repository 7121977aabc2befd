import CliplineAMQP
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// What an outside test found `amqp-consume` doing wrong (issue 9), and its spinning (issue 13), each pinned.
final class AMQPConsumeSafetyTests: XCTestCase {
  private func environment() throws -> [String: String] { ["AMQP_URL": try Broker.url()] }

  private func peer(_ arguments: [String]) throws -> ToolResult {
    let result = try ToolInvocation.runProcess(
      "/usr/bin/env", ["python3", Broker.peerScript] + arguments, environment: try environment())
    guard result.status == 0 else { throw TestFailure("amqp_peer \(arguments[0]) failed: \(result.stderr)") }
    return result
  }

  /// Every field type RabbitMQ 3.10 passes on (its letters; it refuses unknown ones with 541 INTERNAL_ERROR to the
  /// publisher), nested, and an empty field name, which rabbitmq-c's
  /// amqp_read_message refused: the consumer reconnected for ever and nothing behind the message was handled.
  static let everyType = """
    [["", {"t":"S","v":"x"}], ["bool", {"t":"t","v":true}], ["i8", {"t":"b","v":-5}], ["u8", {"t":"B","v":200}],
     ["i16", {"t":"s","v":-300}], ["u16", {"t":"u","v":60000}], ["i32", {"t":"I","v":-70000}],
     ["u32", {"t":"i","v":4000000000}], ["i64", {"t":"l","v":-9000000000}],
     ["u64", {"t":"L","v":18446744073709551615}], ["f32", {"t":"f","v":1.5}],
     ["f64", {"t":"d","v":2.25}], ["dec", {"t":"D","v":[2,12345]}], ["dec0", {"t":"D","v":[3,50]}], ["str", {"t":"S","v":"h\\u00e9llo"}],
     ["bytes", {"t":"x","v":"raw"}], ["ts", {"t":"T","v":1700000000}], ["void", {"t":"V","v":null}],
     ["table", {"t":"F","v":[["inner", {"t":"I","v":1}], ["deeper", {"t":"F","v":[["s", {"t":"S","v":"y"}]]}]]}],
     ["array", {"t":"A","v":[{"t":"I","v":1}, {"t":"S","v":"two"}, {"t":"V","v":null}, {"t":"A","v":[{"t":"t","v":false}]}]}]]
    """

  func testEveryHeaderTypeAndAnEmptyFieldNameAreReadAndDeadLetteredExactlyAsTheyCame() throws {
    let queue = Broker.uniqueQueue("types")
    try Broker.declare(queue)
    _ = try peer(["publish-typed", queue, #"{"n":0}"#, Self.everyType])
    try Broker.pikaPublish(queue, body: #"{"n":1}"#, headers: ["": "empty name, pika's own encoding"])
    try Broker.pikaPublish(queue, body: #"{"n":2}"#, headers: [:])
    let scratch = try ScratchDirectory("amqp-types")
    let health = scratch.file("health.json")
    let result = try ToolInvocation.run(
      "amqp-consume",
      [
        "--queue", queue, "--count", "3", "--health-file", health, "--",
        "/bin/sh", "-c", #"cat > /dev/null; echo "$AMQP_HEADERS" >&2; exit 3"#,
      ], environment: try environment(), timeout: 60)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertFalse(result.stderr.contains("reconnect"), result.stderr)
    XCTAssertEqual(result.stderr.components(separatedBy: "dead-lettered to").count - 1, 3, result.stderr)
    XCTAssertTrue(result.stderr.contains(#""dec":123.45"#), "the handler sees the headers as JSON: \(result.stderr)")
    XCTAssertTrue(result.stderr.contains(#""dec0":0.050"#), "a decimal keeps its scale: \(result.stderr)")
    XCTAssertTrue(
      result.stderr.contains(#""u64":18446744073709551615"#), "beyond Int64, still a number: \(result.stderr)")
    let dead = try peer(["get-typed", queue + ".dlq", "3"]).stdoutLines.map {
      try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
    }
    XCTAssertEqual(dead.map { $0["body"] as? String }, [#"{"n":0}"#, #"{"n":1}"#, #"{"n":2}"#])
    let sent = try JSONSerialization.jsonObject(with: Data(Self.everyType.utf8)) as! [[Any]]
    let kept = try XCTUnwrap(dead[0]["headers"] as? [String: Any])
    for entry in sent {
      let name = entry[0] as! String
      XCTAssertEqual(
        kept[name].map { NSDictionary(dictionary: $0 as! [String: Any]) },
        NSDictionary(dictionary: entry[1] as! [String: Any]),
        "header \"\(name)\" keeps its type and value")
    }
    XCTAssertEqual((kept["x-clipline-exit-code"] as? [String: Any])?["v"] as? Int, 3)
    let state = try Record(json: try String(contentsOfFile: health, encoding: .utf8))
    XCTAssertEqual(state["reconnects"], 0)
    XCTAssertEqual(try Broker.depth(queue), 0)

    // Print mode reads the same message.
    _ = try peer(["publish-typed", queue, #"{"n":3}"#, Self.everyType])
    let printed = try ToolInvocation.run(
      "amqp-consume", ["--queue", queue, "--count", "1", "--envelope"], environment: try environment(), timeout: 60)
    XCTAssertEqual(printed.status, 0, printed.stderr)
    let record = try XCTUnwrap(try printed.records().first)
    XCTAssertEqual(record.value(at: "amqp.headers.u32"), 4_000_000_000)
    XCTAssertEqual(record.value(at: "amqp.headers.u64"), .number("18446744073709551615"), "beyond Int64: a number")
    XCTAssertEqual(record.value(at: "amqp.headers.dec0"), .number("0.050"))
    XCTAssertEqual(record.value(at: "amqp.headers.ts"), "2023-11-14T22:13:20Z")
    XCTAssertEqual(record.value(at: "amqp.headers.table.deeper.s"), "y")
  }

  func testPrintModeDeadLettersABodyThatIsNotJSONWithTheReasonAndExits65() throws {
    let queue = Broker.uniqueQueue("notjson")
    try Broker.declare(queue)
    try Broker.pikaPublish(queue, body: "not json at all", headers: ["camera": "c1"])
    try Broker.pikaPublish(queue, body: #"{"n":1}"#, headers: [:])
    let result = try ToolInvocation.run(
      "amqp-consume", ["--queue", queue, "--count", "2"], environment: try environment(), timeout: 60)
    XCTAssertEqual(result.status, 65, result.stderr)
    XCTAssertEqual(result.stdoutLines, [#"{"n":1}"#], "the message behind it is printed")
    XCTAssertTrue(result.stderr.contains("1 message was not a JSON object and went to \(queue).dlq"), result.stderr)
    let dead = try Broker.pikaGet(queue + ".dlq")
    XCTAssertEqual(dead.first?["body"] as? String, "not json at all")
    let headers = try XCTUnwrap(dead.first?["headers"] as? [String: Any])
    XCTAssertTrue(
      (headers["x-clipline-error"] as? String ?? "").hasPrefix("the body is not a JSON object"), "\(headers)")
    XCTAssertEqual(headers["x-clipline-exit-code"] as? Int, 65)
    XCTAssertEqual(headers["camera"] as? String, "c1")
    XCTAssertEqual(try Broker.depth(queue), 0)
  }

  func testCredentialsAreMaskedInTheErrorHeaderAndOnStderr() throws {
    let queue = Broker.uniqueQueue("secrets")
    try Broker.declare(queue)
    try Broker.pikaPublish(queue, body: #"{"n":0}"#, headers: [:])
    let secretKey = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"
    let sessionToken = "FwoGZXIvYXdzEJr//////////wEaDEXAMPLETOKEN"
    let script = """
      cat > /dev/null
      echo 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig' >&2
      echo 'retry with basic dXNlcjpodW50ZXIy' >&2
      echo 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/s3/aws4_request, Signature=fe5f80f77d5fa3beca038a248ff027' >&2
      echo 'GET https://acct.blob.core.windows.net/c/b?sv=2021&sig=SASSIGNATURE123%3D&se=2026' >&2
      echo "key $AWS_SECRET_ACCESS_KEY token $AWS_SESSION_TOKEN" >&2
      echo 'amqp://user:hunter2@broker token=tok123 secret=sec456' >&2
      exit 3
      """
    let result = try ToolInvocation.run(
      "amqp-consume", ["--queue", queue, "--count", "1", "--", "/bin/sh", "-c", script],
      environment: try environment().merging(
        ["AWS_SECRET_ACCESS_KEY": secretKey, "AWS_SESSION_TOKEN": sessionToken]) { $1 }, timeout: 60)
    XCTAssertEqual(result.status, 0, result.stderr)
    let headers = try XCTUnwrap(try Broker.pikaGet(queue + ".dlq").first?["headers"] as? [String: Any])
    let error = try XCTUnwrap(headers["x-clipline-error"] as? String)
    for (name, text) in [("x-clipline-error", error), ("stderr", result.stderr)] {
      for secret in [
        "eyJhbGciOiJIUzI1NiJ9", "dXNlcjpodW50ZXIy", "AKIDEXAMPLE/20260101", "fe5f80f77d5fa3beca038a248ff027",
        "SASSIGNATURE123", secretKey, sessionToken, "hunter2", "tok123", "sec456",
      ] {
        XCTAssertFalse(text.contains(secret), "\(name) shows \(secret): \(text)")
      }
    }
    XCTAssertTrue(error.contains("Authorization: ***"), error)
    XCTAssertTrue(error.contains("sv=2021&sig=***&se=2026"), error)
  }

  func testAMissingDeadLetterQueueBacksOffInsteadOfRequeueingAtOnce() throws {
    let queue = Broker.uniqueQueue("nodlq")
    try Broker.declare(queue)
    let scratch = try ScratchDirectory("amqp-nodlq")
    let runs = scratch.file("runs")
    let consumer = try BackgroundTool(
      "amqp-consume", ["--queue", queue, "--", "/bin/sh", "-c", "cat > /dev/null; echo run >> \(runs); exit 3"],
      environment: try environment(), scratch: scratch)
    try eventually("the consumer to start") { consumer.stderr.isEmpty && (try? Broker.depth(queue)) == 0 }
    Thread.sleep(forTimeInterval: 1)
    let deleted = try ToolInvocation.runProcess(
      "/usr/bin/amqp-delete-queue", ["--url", try Broker.url(), "--queue", queue + ".dlq"])
    XCTAssertEqual(deleted.status, 0, deleted.stderr)
    try Broker.pikaPublish(queue, body: #"{"n":0}"#, headers: [:])
    try eventually("the second failed copy") { consumer.stderr.contains("failed attempt 2") }
    let runsSoFar = (try String(contentsOfFile: runs, encoding: .utf8)).split(separator: "\n").count
    kill(consumer.process.processIdentifier, SIGTERM)
    XCTAssertEqual(try consumer.wait(timeout: 60), 0, consumer.stderr)
    XCTAssertLessThanOrEqual(runsSoFar, 3, "backed off, not rerun hundreds of times")
    XCTAssertTrue(consumer.stderr.contains("does the dead-letter queue \"\(queue).dlq\" exist?"), consumer.stderr)
    XCTAssertTrue(consumer.stderr.contains("requeued in 1.0 s (failed attempt 1)"), consumer.stderr)
    XCTAssertEqual(try Broker.waitForDepth(queue, 1), 1, "the message is kept, not lost")
  }

  /// A resource assertion, not a timing one: the consumer sleeps in poll(2) while its handler runs.
  func testAConsumerWhoseHandlerSleepsUsesAlmostNoCPU() throws {
    let queue = Broker.uniqueQueue("cpu")
    try Broker.declare(queue)
    try Broker.pikaPublish(queue, body: #"{"n":0}"#, headers: [:])
    let scratch = try ScratchDirectory("amqp-cpu")
    let usage = scratch.file("usage")
    let result = try ToolInvocation.runProcess(
      "/usr/bin/time",
      [
        "-f", "%U %S", "-o", usage, ToolInvocation.path(of: "amqp-consume"), "--queue", queue, "--count", "1", "--",
        "sleep", "3",
      ],
      environment: try environment(), timeout: 60)
    XCTAssertEqual(result.status, 0, result.stderr)
    let seconds = try String(contentsOfFile: usage, encoding: .utf8).split(whereSeparator: \.isWhitespace)
      .compactMap { Double($0) }
    XCTAssertEqual(seconds.count, 2)
    XCTAssertLessThan(seconds.reduce(0, +), 0.3, "user + system CPU of amqp-consume over a 3 s handler")
  }

  /// The body is all there before the handler starts (an orphan once ran with an empty stdin): stdin is a regular
  /// file of the body's size (beyond a pipe's 64 KiB), not a pipe still being written.
  func testTheHandlersStdinHoldsTheWholeBodyBeforeItStarts() throws {
    let queue = Broker.uniqueQueue("stdin")
    try Broker.declare(queue)
    let body = #"{"pad":""# + String(repeating: "x", count: 100_000) + #""}"#
    try Broker.pikaPublish(queue, body: body, headers: [:])
    let result = try ToolInvocation.run(
      "amqp-consume",
      ["--queue", queue, "--count", "1", "--", "/bin/sh", "-c", "stat -L -c '%F %s' /dev/stdin >&2; cat > /dev/null"],
      environment: try environment(), timeout: 60)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stderr.contains("regular file \(body.utf8.count)\n"), result.stderr)
  }

  /// kill -9 of the consumer: the handler and everything it started die at once (the watchdog), and the next
  /// consumer gets the message again, its stdin whole, and removes the work directory left behind.
  func testKillNineTakesTheHandlerAndItsChildrenAlongAndTheNextConsumerSweepsWhatWasLeft() throws {
    let scratch = try ScratchDirectory("amqp-sweep")
    defer { withExtendedLifetime(scratch) {} }
    let (handler, child, workDirectory, queue, environment) = try killConsumerMidHandler(
      alsoKillingItsWatchdog: false, scratch: scratch)
    try eventually("the handler to die with its consumer") { !isAlive(handler) }
    // Its own child too, at once, not only at the next consumer's sweep: it would go on working (uploading,
    // publishing) for a message the broker gives to another consumer.
    try eventually("the handler's own child to die with the consumer") { !isAlive(child) }
    try assertTheNextConsumerSweeps(workDirectory, queue: queue, environment: environment)
  }

  /// With the watchdog killed as well, the handler's child outlives both, until the next consumer's sweep.
  func testWithoutItsWatchdogTheNextConsumerKillsWhatTheDeadOneLeft() throws {
    let scratch = try ScratchDirectory("amqp-sweep")
    defer { withExtendedLifetime(scratch) {} }
    let (handler, child, workDirectory, queue, environment) = try killConsumerMidHandler(
      alsoKillingItsWatchdog: true, scratch: scratch)
    try eventually("the handler to die with its consumer") { !isAlive(handler) }
    XCTAssertTrue(isAlive(child), "nothing killed the handler's child yet")
    try assertTheNextConsumerSweeps(workDirectory, queue: queue, environment: environment)
    try eventually("the handler's own child to be killed by the sweep") { !isAlive(child) }
  }

  /// Every amqp-consume sweeps the free locks of its TMPDIR at start: in the shared /tmp, any other test's or
  /// person's consumer starting between the kill and our next consumer would sweep the dead one's directory first.
  /// These consumers share a TMPDIR of their own, in `scratch` (which the caller keeps until the end).
  private func killConsumerMidHandler(alsoKillingItsWatchdog: Bool, scratch: ScratchDirectory) throws -> (
    handler: Int32, child: Int32, workDirectory: String, queue: String, environment: [String: String]
  ) {
    let queue = Broker.uniqueQueue("sweep")
    try Broker.declare(queue)
    try Broker.pikaPublish(queue, body: #"{"job":"long"}"#, headers: [:])
    let started = scratch.file("started")
    let temporary = scratch.file("tmp")
    try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false)
    let environment = try environment().merging(["TMPDIR": temporary]) { $1 }
    let consumer = try BackgroundTool(
      "amqp-consume",
      [
        "--queue", queue, "--", "/bin/sh", "-c",
        #"sleep 60 & echo "$$ $! $CLIPLINE_WORK_DIR" > \#(started).tmp; mv \#(started).tmp \#(started); wait"#,
      ], environment: environment, scratch: scratch)
    try eventually("the handler to start") { FileManager.default.fileExists(atPath: started) }
    let fields = try String(contentsOfFile: started, encoding: .utf8).split(separator: " ").map {
      $0.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    if alsoKillingItsWatchdog {
      let pid = consumer.process.processIdentifier
      let watchdog = try ToolInvocation.runProcess("/usr/bin/pgrep", ["-P", "\(pid)", "-f", "amqp-consume-watchdog"])
      let watchdogPID = try XCTUnwrap(Int32(watchdog.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
      kill(watchdogPID, SIGKILL)
    }
    kill(consumer.process.processIdentifier, SIGKILL)
    _ = try consumer.wait()
    XCTAssertTrue(fields[2].hasPrefix(temporary + "/"), "the work directory is under its TMPDIR: \(fields[2])")
    return (try XCTUnwrap(Int32(fields[0])), try XCTUnwrap(Int32(fields[1])), fields[2], queue, environment)
  }

  private func assertTheNextConsumerSweeps(
    _ workDirectory: String, queue: String, environment: [String: String]
  ) throws {
    XCTAssertTrue(FileManager.default.fileExists(atPath: workDirectory), "nobody removed it yet")
    let next = try ToolInvocation.run(
      "amqp-consume", ["--queue", queue, "--count", "1", "--", "/bin/sh", "-c", "cat"],
      environment: environment, timeout: 60)
    XCTAssertEqual(next.status, 0, next.stderr)
    XCTAssertEqual(next.stdout, #"{"job":"long"}"#, "redelivered, its stdin whole")
    XCTAssertTrue(next.stderr.contains("removed \(workDirectory), left by a consumer that is gone"), next.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: workDirectory))
  }
}

final class AMQPConnectionOwnershipTests: XCTestCase {
  func testAFailedOpenThrowsTheRightErrorAndFreesNothingTwice() throws {
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
    }
    let port = Int(UInt16(bigEndian: address.sin_port))
    close(listener)  // bound and closed: nobody listens there, the connect is refused
    for _ in 0..<3 {
      let options = ConnectionOptions(endpoint: try AMQPEndpoint(url: "amqp://guest:guest@127.0.0.1:\(port)/%2f"))
      XCTAssertThrowsError(try AMQPConnection(options)) { error in
        let failure = error as? AMQPError
        XCTAssertEqual(failure?.exitStatus, .unavailable, "\(error)")
        XCTAssertTrue("\(error)".hasPrefix("connecting to 127.0.0.1:\(port)"), "\(error)")
      }
    }
    // Refused after the TCP connect (the TLS verification): the handle is freed once, by openConnection.
    let tls = ConnectionOptions(
      endpoint: try AMQPEndpoint(url: try TestServices.require("AMQPS_URL")),
      caFile: try TestServices.require("AMQP_TEST_WRONG_CA_FILE"))
    XCTAssertThrowsError(try AMQPConnection(tls)) { XCTAssertEqual(($0 as? AMQPError)?.exitStatus, .configuration) }
  }

  func testTLSToAnIPAddressIsVerifiedAgainstTheCertificatesIPAddresses() throws {
    let url = try TestServices.require("AMQPS_URL")
    let ca = try TestServices.require("AMQP_TEST_CA_FILE")
    let byAddress = ConnectionOptions(
      endpoint: try AMQPEndpoint(url: url.replacingOccurrences(of: "@localhost:", with: "@127.0.0.1:")), caFile: ca)
    let connection = try AMQPConnection(byAddress)
    connection.close()
    // 127.0.0.2 reaches the same listener, but the certificate does not name it.
    let unnamed = ConnectionOptions(
      endpoint: try AMQPEndpoint(url: url.replacingOccurrences(of: "@localhost:", with: "@127.0.0.2:")), caFile: ca)
    XCTAssertThrowsError(try AMQPConnection(unnamed)) { error in
      XCTAssertEqual((error as? AMQPError)?.exitStatus, .configuration, "\(error)")
      XCTAssertTrue("\(error)".contains("verification failed"), "\(error)")
    }
  }
}

final class SecretRedactionTests: XCTestCase {
  func testEveryCredentialShapeIsMasked() {
    let environment = ["AWS_SECRET_ACCESS_KEY": "SECRETKEYVALUE123", "AWS_SESSION_TOKEN": "SESSIONTOKEN456"]
    let cases: [(String, String)] = [
      ("Authorization: Bearer abc.def.ghi", "Authorization: ***"),
      ("curl -H 'authorization: Basic dXNlcjpw'", "curl -H 'authorization: ***"),
      ("sent Bearer abc.def and Basic dXNlcjpw==", "sent Bearer *** and Basic ***"),
      ("Credential=AKID/2026/us-east-1/s3/aws4_request, Signature=abcdef", "Credential=***, Signature=***"),
      (
        "?X-Amz-Signature=abc&X-Amz-Credential=def&X-Amz-Security-Token=ghi",
        "?X-Amz-Signature=***&X-Amz-Credential=***&X-Amz-Security-Token=***"
      ),
      ("https://a.blob.core.windows.net/c?sv=1&sig=XYZ%3D&se=2", "https://a.blob.core.windows.net/c?sv=1&sig=***&se=2"),
      ("key SECRETKEYVALUE123 and SESSIONTOKEN456", "key *** and ***"),
      ("amqp://user:hunter2@host:5672/%2f", "amqp://user:***@host:5672/%2f"),
      ("token=abc secret: def password=ghi AccountKey=jkl", "token=*** secret: *** password=*** AccountKey=***"),
    ]
    for (text, expected) in cases {
      XCTAssertEqual(SecretRedaction.text(text, environment: environment), expected)
    }
    XCTAssertEqual(SecretRedaction.text("no secrets in s3://bucket/key"), "no secrets in s3://bucket/key")
  }

  /// S2's REDIS_PASSWORD is read by kvs-discover and kvs-follow, so a handler's stderr may carry it too.
  func testTheRedisPasswordOfTheEnvironmentIsMasked() {
    let environment = ["REDIS_PASSWORD": "s2-redis-pass-789"]
    XCTAssertEqual(
      SecretRedaction.text("AUTH s2-redis-pass-789 refused", environment: environment), "AUTH *** refused")
  }
}
