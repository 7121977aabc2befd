import CliplineAMQP
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// The pieces that need no broker: URL parsing, the exit-code contract, how a record becomes a message.
final class AMQPEndpointTests: XCTestCase {
  func testDefaultVhostIsPercentEncodedSlash() throws {
    let endpoint = try AMQPEndpoint(url: "amqp://guest:guest@127.0.0.1:5673/%2f")
    XCTAssertEqual(endpoint.vhost, "/")
    XCTAssertEqual(endpoint.port, 5673)
    XCTAssertEqual(endpoint.host, "127.0.0.1")
    XCTAssertFalse(endpoint.usesTLS)
  }

  func testNoPathMeansDefaultVhostAndTrailingSlashMeansEmptyVhost() throws {
    XCTAssertEqual(try AMQPEndpoint(url: "amqp://h").vhost, "/")
    XCTAssertEqual(try AMQPEndpoint(url: "amqp://h/").vhost, "")
    XCTAssertEqual(try AMQPEndpoint(url: "amqp://h/prod").vhost, "prod")
  }

  func testTLSDefaultsAndCredentialsAndQuery() throws {
    let endpoint = try AMQPEndpoint(
      url: "amqps://us%40er:p%3Ass@broker.example/%2f?heartbeat=15&connection_timeout=2500")
    XCTAssertTrue(endpoint.usesTLS)
    XCTAssertEqual(endpoint.port, 5671)
    XCTAssertEqual(endpoint.user, "us@er")
    XCTAssertEqual(endpoint.password, "p:ss")
    XCTAssertEqual(endpoint.heartbeat, 15)
    XCTAssertEqual(endpoint.connectTimeout, 2.5)
    let options = ConnectionOptions(endpoint: endpoint, heartbeat: 5)
    XCTAssertEqual(options.heartbeat, 5, "a flag wins over the URL")
    XCTAssertEqual(options.connectTimeout, 2.5)
    XCTAssertFalse(endpoint.description.contains("p:ss"), "the password never reaches logs")
  }

  func testRefusesOtherSchemesAndBadPorts() {
    XCTAssertThrowsError(try AMQPEndpoint(url: "http://h/%2f")) { XCTAssertTrue("\($0)".contains("amqp or amqps")) }
    XCTAssertThrowsError(try AMQPEndpoint(url: "amqp://h:99999/%2f")) { XCTAssertTrue("\($0)".contains("port")) }
    XCTAssertThrowsError(try AMQPEndpoint(url: "amqp://h/a/b")) { XCTAssertTrue("\($0)".contains("%2f")) }
  }

  /// A space or control byte would otherwise land in the user or host and connect where the URL did not say.
  func testRefusesURLsThatDoNotParseWhole() {
    XCTAssertThrowsError(try AMQPEndpoint(url: "amqp://gu est@/")) { XCTAssertTrue("\($0)".contains("a space")) }
    XCTAssertThrowsError(try AMQPEndpoint(url: "amqp://h\t/")) { XCTAssertTrue("\($0)".contains("0x09")) }
    XCTAssertThrowsError(try AMQPEndpoint(url: "amqp://h/%2f#x")) { XCTAssertTrue("\($0)".contains("'#'")) }
    XCTAssertThrowsError(try AMQPEndpoint(url: "amqp://h:/")) { XCTAssertTrue("\($0)".contains("port")) }
    XCTAssertEqual(try AMQPEndpoint(url: "amqp://gu%20est@/").user, "gu est")
  }
}

final class FailurePolicyTests: XCTestCase {
  let policy = FailurePolicy(maxRetries: 2, retryDelay: 1)

  func testExitCodesDecideTheOutcome() {
    XCTAssertEqual(policy.decide(exitCode: 0, timedOut: false, stoppedByUs: false, attempt: 1), .acknowledge)
    XCTAssertEqual(
      policy.decide(exitCode: 75, timedOut: false, stoppedByUs: false, attempt: 1), .retry(attempt: 1, delay: 1))
    XCTAssertEqual(
      policy.decide(exitCode: 75, timedOut: false, stoppedByUs: false, attempt: 2), .retry(attempt: 2, delay: 2))
    XCTAssertEqual(
      policy.decide(exitCode: 75, timedOut: false, stoppedByUs: false, attempt: 3), .deadLetter(attempt: 3))
    XCTAssertEqual(policy.decide(exitCode: 1, timedOut: false, stoppedByUs: false, attempt: 1), .deadLetter(attempt: 1))
    // A service the handler could not reach (69) is an outage, not a bad message: retried like 75.
    XCTAssertEqual(
      policy.decide(exitCode: 69, timedOut: false, stoppedByUs: false, attempt: 1), .retry(attempt: 1, delay: 1))
    XCTAssertEqual(
      policy.decide(exitCode: 69, timedOut: false, stoppedByUs: false, attempt: 3), .deadLetter(attempt: 3))
    XCTAssertEqual(
      policy.decide(exitCode: 65, timedOut: false, stoppedByUs: false, attempt: 1), .deadLetter(attempt: 1))
    XCTAssertEqual(
      policy.decide(exitCode: 65, timedOut: false, stoppedByUs: false, attempt: 1), .deadLetter(attempt: 1))
    XCTAssertEqual(
      policy.decide(exitCode: 143, timedOut: true, stoppedByUs: false, attempt: 1), .retry(attempt: 1, delay: 1))
    XCTAssertEqual(policy.decide(exitCode: 143, timedOut: false, stoppedByUs: true, attempt: 1), .requeue)
  }

  func testAttemptCountComesFromTheHeader() {
    XCTAssertEqual(FailurePolicy.attempt(of: [:]), 1)
    XCTAssertEqual(FailurePolicy.attempt(of: [FailurePolicy.attemptsHeader: 2]), 3)
  }

  func testDeadLetterCopyKeepsBodyAndHeadersAndAddsTheErrorWithoutSecrets() throws {
    var properties = MessageProperties()
    properties.messageID = "m1"
    properties.headerTable.set("process_id", "p1")
    properties.expiration = "1000"
    let delivery = try deliveryFixture(properties: properties, body: Array(#"{"a":1}"#.utf8))
    let copy = FailurePolicy.deadLetterMessage(
      of: delivery, queue: "Q", deadLetterQueue: "Q.dlq", exitCode: 3,
      error: "upload to https://user:hunter2@s3.local failed; token=abc123", attempt: 2,
      at: Date(timeIntervalSince1970: 0))
    XCTAssertEqual(copy.routingKey, "Q.dlq")
    XCTAssertEqual(copy.exchange, "")
    XCTAssertEqual(copy.body, delivery.body)
    XCTAssertTrue(copy.properties.persistent)
    XCTAssertNil(copy.properties.expiration, "a dead-lettered copy must not expire")
    XCTAssertEqual(copy.properties.messageID, "m1")
    XCTAssertEqual(copy.properties.headers["process_id"], "p1")
    XCTAssertEqual(copy.properties.headers["x-clipline-exit-code"], 3)
    XCTAssertEqual(copy.properties.headers["x-clipline-queue"], "Q")
    XCTAssertEqual(copy.properties.headers["x-clipline-attempts"], 2)
    XCTAssertEqual(copy.properties.headers["x-clipline-failed-at"], "1970-01-01T00:00:00Z")
    let error = copy.properties.headers["x-clipline-error"]?.stringValue ?? ""
    XCTAssertTrue(error.contains("upload to https://user:***@s3.local failed"), error)
    XCTAssertFalse(error.contains("hunter2"))
    XCTAssertFalse(error.contains("abc123"))
  }

  func testRetryCopyExpiresAfterTheDelay() throws {
    let delivery = try deliveryFixture(properties: MessageProperties(), body: [])
    let copy = FailurePolicy.retryMessage(of: delivery, retryQueue: "Q.retry", attempt: 1, delay: 2.5)
    XCTAssertEqual(copy.routingKey, "Q.retry")
    XCTAssertEqual(copy.properties.expiration, "2500")
    XCTAssertEqual(copy.properties.headers["x-clipline-attempts"], 1)
  }

  /// A `Delivery` as the broker would hand it, made by publishing and consuming one message.
  private func deliveryFixture(properties: MessageProperties, body: [UInt8]) throws -> Delivery {
    let queue = Broker.uniqueQueue("fixture")
    let connection = try AMQPConnection(try Broker.options())
    defer { connection.close() }
    try connection.declareQueue(queue, durable: false, arguments: ["x-expires": 60_000])
    try connection.publish(OutgoingMessage(routingKey: queue, properties: properties, body: body))
    _ = try connection.consume(queue: queue)
    while true {
      if case .delivery(let delivery) = try connection.nextEvent(timeout: 10) { return delivery }
    }
  }
}

final class MessageShapeTests: XCTestCase {
  func testARecordBecomesAPersistentJSONMessage() throws {
    let shape = MessageShape(
      routingKey: try RecordTemplate("jobs.{camera_id}"),
      headerTemplates: [("source", try RecordTemplate("cam-{camera_id}"))],
      headerFields: ["process_id", "video_preprocessing"], messageIDField: "process_id")
    let record = try Record(json: #"{"camera_id":"c7","process_id":"p9","video_preprocessing":{"fps":2}}"#)
    let message = try shape.message(for: record, now: Date(timeIntervalSince1970: 1_700_000_000))
    XCTAssertEqual(message.exchange, "")
    XCTAssertEqual(message.routingKey, "jobs.c7")
    XCTAssertTrue(message.mandatory)
    XCTAssertTrue(message.properties.persistent)
    XCTAssertEqual(message.properties.contentType, "application/json")
    XCTAssertEqual(message.properties.messageID, "p9")
    XCTAssertEqual(message.properties.timestamp, Date(timeIntervalSince1970: 1_700_000_000))
    XCTAssertEqual(message.properties.headers["source"], "cam-c7")
    XCTAssertEqual(message.properties.headers["process_id"], "p9")
    XCTAssertEqual(message.properties.headers["video_preprocessing"], ["fps": 2])
    XCTAssertEqual(try Record(line: message.body), record, "the body is the record, every field passed through")
  }

  func testAMissingFieldIsNamed() throws {
    let shape = MessageShape(routingKey: try RecordTemplate("q.{camera_id}"))
    XCTAssertThrowsError(try shape.message(for: Record())) { XCTAssertEqual("\($0)", #"field "camera_id" is missing"#) }
  }
}
