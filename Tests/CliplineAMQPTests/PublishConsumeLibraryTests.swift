import CliplineAMQP
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// The library against the real broker, with in-memory sinks: what the tools do, without spawning them.
final class PublishConsumeLibraryTests: XCTestCase {
  func testPublishingConfirmsEveryRecordAndTeesThemInOrder() throws {
    let queue = Broker.uniqueQueue("lib-pub")
    try Broker.declare(queue)
    let (diagnostics, captured) = Diagnostics.capturing(tool: "amqp-pub")
    let options = try Broker.options()
    let publisher = ConfirmingPublisher<PublishedRecord>(window: 16) { try AMQPConnection(options) }
    let tee = MemorySink()
    let input = records(100) + "{broken\n" + records(2, from: 100)
    XCTAssertThrowsError(
      try RecordPublishing(shape: MessageShape(routingKey: try RecordTemplate(queue)), diagnostics: diagnostics)
        .run(reader: RecordReader(text: input), publisher: publisher, tee: RecordWriter(sink: tee))
    ) { error in
      XCTAssertEqual(ExitStatus.of(error), .dataError)
    }
    XCTAssertEqual(publisher.confirmedCount, 102)
    XCTAssertEqual(tee.lines.count, 102)
    XCTAssertEqual(tee.lines.first, #"{"n":0}"#)
    XCTAssertTrue(captured.text.contains("error (line 101): not a JSON object"), captured.text)
    XCTAssertEqual(try Broker.waitForDepth(queue, 102), 102)
  }

  func testPrintModeWritesEachBodyAndAcksIt() throws {
    let queue = Broker.uniqueQueue("lib-print")
    try Broker.declare(queue)
    let options = try Broker.options()
    let publisher = ConfirmingPublisher<PublishedRecord> { try AMQPConnection(options) }
    let (diagnostics, _) = Diagnostics.capturing(tool: "amqp-consume")
    try RecordPublishing(shape: MessageShape(routingKey: try RecordTemplate(queue)), diagnostics: diagnostics)
      .run(reader: RecordReader(text: records(5)), publisher: publisher, tee: nil)
    var settings = ConsumerSettings(topology: QueueTopology(queue: queue, deadLetterQueue: queue + ".dlq"))
    settings.count = 5
    let sink = MemorySink()
    let summary = try QueueConsumer(
      options: options, settings: settings, mode: .print(envelope: true), output: RecordWriter(sink: sink),
      diagnostics: diagnostics
    ).run()
    XCTAssertEqual(summary.acknowledged, 5)
    XCTAssertEqual(sink.records.map { $0["n"] }, (0..<5).map { JSONValue.integer(Int64($0)) })
    XCTAssertEqual(sink.records.first?.value(at: "amqp.routing_key"), .string(queue))
    XCTAssertEqual(sink.records.first?.value(at: "amqp.properties.content_type"), "application/json")
    XCTAssertEqual(try Broker.depth(queue), 0)
  }
}
