import CliplineAMQP
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// amqp-pub under a broker alarm, and a record AMQP cannot carry (issue 24, items 3 and 8).
final class AMQPPubStopsTests: XCTestCase {
  private func environment() throws -> [String: String] { ["AMQP_URL": try Broker.url()] }

  /// A memory alarm on the node: RabbitMQ blocks every publishing connection until it clears.
  private func withMemoryAlarm(_ body: () throws -> Void) throws {
    try Broker.control("ctl", "set_vm_memory_high_watermark", "0.000001")
    defer { try? Broker.control("ctl", "set_vm_memory_high_watermark", "0.4") }
    try body()
  }

  /// Item 3: SIGTERM ends an amqp-pub the broker blocks (75, at once, saying so). Before, it waited for the
  /// alarm to clear whatever signal came, so a pipeline ending in it could not be stopped.
  func testSIGTERMEndsAPublisherTheBrokerBlocks() throws {
    let queue = Broker.uniqueQueue("blocked")
    try Broker.declare(queue)
    let scratch = try ScratchDirectory("blocked")
    try withMemoryAlarm {
      let publisher = try BackgroundTool("amqp-pub", ["-q", queue], environment: try environment(), scratch: scratch)
      try publisher.write(records(3))
      try eventually("amqp-pub to say the broker blocks it") { publisher.stderr.contains("blocks publishing") }
      publisher.process.terminate()
      XCTAssertEqual(try publisher.wait(timeout: 20), 75, publisher.stderr)
      XCTAssertTrue(publisher.stderr.contains("stopped by a signal while the broker blocked"), publisher.stderr)
    }
  }

  /// Item 3: --timeout bounds the wait on a blocked broker (75, saying how far it got).
  func testTimeoutBoundsTheWaitOnABlockedBroker() throws {
    let queue = Broker.uniqueQueue("blockedtimeout")
    try Broker.declare(queue)
    try withMemoryAlarm {
      let result = try ToolInvocation.run(
        "amqp-pub", ["-q", queue, "--timeout", "2s"], stdin: records(2), environment: try environment(),
        timeout: 60)
      XCTAssertEqual(result.status, 75, result.stderr)
      XCTAssertTrue(result.stderr.contains("gave up after 2s (--timeout) while the broker blocked"), result.stderr)
    }
  }

  /// Item 8: a routing key over AMQP's 255 bytes refuses its record (65, its line); the records around it are
  /// published once each. Before, the broker closed the connection, amqp-pub republished the good records around
  /// it again and again, never published the one after, and exited 69.
  func testAnOverlongRoutingKeyRefusesItsRecordAndNothingElse() throws {
    let queue = Broker.uniqueQueue("longkey")
    try Broker.declare(queue)
    let long = String(repeating: "k", count: 300)
    let input = "{\"q\":\"\(queue)\",\"n\":1}\n{\"q\":\"\(long)\",\"n\":2}\n{\"q\":\"\(queue)\",\"n\":3}\n"
    let result = try ToolInvocation.run("amqp-pub", ["-q", "{q}"], stdin: input, environment: try environment())
    XCTAssertEqual(result.status, 65, result.stderr)
    XCTAssertTrue(result.stderr.contains("error (line 2): the routing key made from this record is 300 bytes"))
    XCTAssertEqual(try Broker.waitForDepth(queue, 2), 2)
    Thread.sleep(forTimeInterval: 0.5)  // a copy republished late would show now
    let bodies = try Broker.pikaGet(queue, count: 10).compactMap { $0["body"] as? String }
    XCTAssertEqual(bodies.map { try? Record(json: $0)["n"] }, [1, 3])
  }
}
