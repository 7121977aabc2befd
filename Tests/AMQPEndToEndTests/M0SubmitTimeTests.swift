import CliplineRecords
import CliplineTestSupport
import Foundation
import XCTest

/// A live request's `live_start_time` as Python producers write it reaches M0 (issue 23, item 10): a space for the
/// `T`, no offset (read as UTC), pydantic v1's `+00:00` are queued as they came; a day, hour or offset that does not
/// exist is refused (65, item 14), naming the field, and nothing is published.
final class M0SubmitTimeTests: XCTestCase {
  private func liveRequest(_ liveStart: String) throws -> String {
    var record = try Record(json: M0SubmitToolTests.liveRequest)
    record["live_start_time"] = .string(liveStart)
    return record.jsonText
  }

  func testPythonsSpellingsAreQueuedAsTheyCame() throws {
    let queue = Broker.uniqueQueue("m0times")
    let requests = try ["2026-02-26 14:30:00", "2026-02-26 14:30:00+00:00", "2026-02-26T14:30:00"].map(liveRequest)
    let result = try ToolInvocation.run(
      "m0-submit", ["--queue", queue, "--declare"], stdin: requests.joined(separator: "\n") + "\n",
      environment: ["AMQP_URL": try Broker.url()])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(try result.records().map { $0["status"] }, ["QUEUED", "QUEUED", "QUEUED"])
    let bodies = try Broker.pikaGet(queue, count: 10).map { try Record(json: $0["body"] as! String) }
    XCTAssertEqual(bodies, try requests.map { try Record(json: $0) })
  }

  func testImpossibleLiveStartTimesAreRefusedAndNotPublished() throws {
    for spelling in ["2026-02-30T14:30:00Z", "2026-04-31 14:30:00", "2026-02-26T14:30:00+24:00", "2026-02-26 14:61:00"]
    {
      let queue = Broker.uniqueQueue("m0impossible")
      try Broker.declare(queue)
      let result = try ToolInvocation.run(
        "m0-submit", ["--queue", queue], stdin: try liveRequest(spelling) + "\n",
        environment: ["AMQP_URL": try Broker.url()])
      XCTAssertEqual(result.status, 65, "\(spelling): \(result.stderr)")
      XCTAssertEqual(result.stdout, "", spelling)
      XCTAssertTrue(result.stderr.contains(#"field "live_start_time""#), "\(spelling): \(result.stderr)")
      XCTAssertEqual(try Broker.depth(queue), 0, "nothing published for \(spelling)")
    }
  }
}
