import CliplineRecords
import CliplineTestSupport
import Foundation
import XCTest

/// `m0-submit --check` against the real broker: requests checked as the worker reads them, one stderr line per
/// request naming where it would be queued, answers marked "dry_run": true, and nothing on the queue.
final class M0SubmitCheckTests: XCTestCase {
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
}
