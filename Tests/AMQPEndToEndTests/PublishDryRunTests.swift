import CliplineRecords
import CliplineTestSupport
import Foundation
import XCTest

/// `m0-submit --check` and `amqp-pub --dry-run` against the real broker: records checked and made into messages as
/// a real run does, one stderr line per record naming where its message would go, records marked "dry_run": true,
/// and nothing on the queue.
final class PublishDryRunTests: XCTestCase {
  func testCheckSaysWhereEachRequestWouldGoAndQueuesNothing() throws {
    let queue = Broker.uniqueQueue("m0check")
    try Broker.declare(queue)
    var bad = try Record(json: M0SubmitToolTests.batchRequest)
    bad["destination_prefix"] = "../escape/"
    let result = try ToolInvocation.run(
      "m0-submit", ["--queue", queue, "--check"],
      stdin: [M0SubmitToolTests.batchRequest, bad.jsonText, M0SubmitToolTests.liveRequest].joined(separator: "\n")
        + "\n",
      environment: ["AMQP_URL": try Broker.url()])

    XCTAssertEqual(result.status, 65, "the bad request fails as it would without --check: \(result.stderr)")
    let answers = try result.records()
    XCTAssertEqual(answers.map { $0["process_id"] }, [.integer(101), .integer(501)])
    XCTAssertEqual(answers.map { $0["status"] }, ["VALID", "VALID"])
    XCTAssertEqual(answers.map { $0["dry_run"] }, [true, true])
    let lines = result.stderr.split(separator: "\n")
    let would = lines.filter { $0.contains("dry run: would publish") && $0.contains("routing key \"\(queue)\"") }
    XCTAssertEqual(would.count, 2, result.stderr)
    XCTAssertTrue(would.first?.contains("persistent") == true && would.first?.hasSuffix("(line 1)") == true)
    XCTAssertTrue(lines.contains { $0.contains("line 2") && $0.contains("\"destination_prefix\"") }, result.stderr)
    XCTAssertEqual(try Broker.depth(queue), 0, "nothing published")
  }

  func testAMQPPubDryRunSaysEachMessageAndPublishesNothing() throws {
    let queue = Broker.uniqueQueue("pubdry")
    try Broker.declare(queue)
    let result = try ToolInvocation.run(
      "amqp-pub",
      ["-q", queue, "--dry-run", "--tee", "--header-field", "camera_id", "--message-id-field", "id"],
      stdin: #"{"id":"a1","camera_id":"front"}"# + "\n" + #"{"id":"a2"}"# + "\n" + #"{"id":"a3","camera_id":"back"}"#
        + "\n",
      environment: ["AMQP_URL": try Broker.url()])

    XCTAssertEqual(result.status, 65, "the record without camera_id fails as it would: \(result.stderr)")
    XCTAssertEqual(try result.records().map { $0["id"] }, ["a1", "a3"])
    XCTAssertEqual(try result.records().map { $0["dry_run"] }, [true, true])
    let would = result.stderr.split(separator: "\n").filter { $0.contains("dry run: would publish") }
    XCTAssertEqual(would.count, 2, result.stderr)
    XCTAssertTrue(
      would.first?.contains("routing key \"\(queue)\"") == true && would.first?.contains("message id a1") == true
        && would.first?.contains("camera_id") == true, result.stderr)
    XCTAssertTrue(result.stderr.contains("\"camera_id\""), result.stderr)
    XCTAssertEqual(try Broker.depth(queue), 0, "nothing published")
  }

  func testADryRunWithDeclareSaysWhatItWouldDeclareAndDeclaresNothing() throws {
    for tool in ["amqp-pub", "m0-submit"] {
      let queue = Broker.uniqueQueue("drydeclare")
      let result = try ToolInvocation.run(
        tool, ["--queue", queue, "--declare", "--quorum", "--dry-run"], stdin: M0SubmitToolTests.batchRequest + "\n",
        environment: ["AMQP_URL": try Broker.url()])

      XCTAssertEqual(result.status, 0, "\(tool): \(result.stderr)")
      XCTAssertTrue(
        result.stderr.contains(
          "dry run: would declare, where missing, the dead-letter queue \"\(queue).dlq\" and the queue "
            + "\"\(queue)\" (durable; x-queue-type=quorum)"), "\(tool): \(result.stderr)")
      for name in [queue, queue + ".dlq"] {
        XCTAssertThrowsError(try Broker.depth(name), "\(tool): \(name) was not declared")
      }
    }
  }
}
