import CliplineRecords
import XCTest

@testable import CliplineTelemetry

/// A tool's figures on the report channel, and a consumer taking them in under its queue: what is reported adds up,
/// and nothing a handler writes can add a family, a label value or series without bound (issue 25).
final class MetricsReportTests: XCTestCase {
  private func reported() throws -> JSONValue {
    let tool = MetricRegistry()
    tool.add(ClipMetrics.storedBytes, 1000, labels: ["s3"])
    tool.add(ClipMetrics.storedObjects, labels: ["s3"])
    tool.add(ClipMetrics.graphQLRequests, labels: ["CreateBatchChunk", "ok"])
    tool.observe(ClipMetrics.stageDuration, 0.02, labels: ["upload"])
    tool.observe(ClipMetrics.stageDuration, 3, labels: ["upload"])
    tool.set(ClipMetrics.buildInfo, 1, labels: ["1", "blob-put"])  // not a reported family: left out
    let line = try XCTUnwrap(MetricsReport.line(of: tool))
    // What goes on the channel is one JSON line, read back as the consumer reads it.
    let parsed = try JSONParser.parse(JSONSerializer.string(.object(line)))
    return try XCTUnwrap(parsed.objectValue?["metrics"])
  }

  func testTwoReportsAddUpUnderTheConsumersQueue() throws {
    let report = try reported()
    XCTAssertEqual(report.arrayValue?.count, 4, "four series, build info left out")
    let consumer = MetricRegistry()
    XCTAssertEqual(MetricsReport.merge(report, into: consumer, queue: "Q"), 4)
    XCTAssertEqual(MetricsReport.merge(report, into: consumer, queue: "Q"), 4)
    let bytes = ClipMetrics.perQueue(ClipMetrics.storedBytes)
    XCTAssertEqual(consumer.value(bytes, labels: ["Q", "s3"])?.value, 2000)
    let stages = try XCTUnwrap(
      consumer.value(ClipMetrics.perQueue(ClipMetrics.stageDuration), labels: ["Q", "upload"]))
    XCTAssertEqual(stages.count, 4)
    XCTAssertEqual(stages.value, 6.04, accuracy: 1e-9)
    let buckets = ClipMetrics.stageBuckets
    XCTAssertEqual(stages.bucketCounts[buckets.firstIndex(of: 0.025)!], 2)
    XCTAssertEqual(stages.bucketCounts[buckets.firstIndex(of: 5)!], 2)
    let text = PrometheusText.render(consumer)
    XCTAssertTrue(
      text.contains(#"clipline_graphql_requests_total{queue="Q",operation="CreateBatchChunk",outcome="ok"} 2"#), text)
    XCTAssertTrue(text.contains(#"clipline_stage_duration_seconds_bucket{queue="Q",stage="upload",le="+Inf"} 4"#))
  }

  func testWhatIsNotAReportedSeriesIsDropped() throws {
    func item(_ name: String, _ labels: [String], value: JSONValue = .integer(1)) -> JSONValue {
      .object(["name": .string(name), "labels": .array(labels.map { .string($0) }), "value": value])
    }
    let bad: JSONValue = .array([
      item("clipline_messages_acked_total", ["Q"]),  // the consumer's own family
      item("clipline_stored_bytes_total", ["ftp"]),  // not a destination kind
      item("clipline_stored_bytes_total", ["s3", "extra"]),
      item("clipline_stored_bytes_total", ["s3"], value: .integer(-5)),
      item("clipline_stored_bytes_total", ["s3"], value: .string("5")),
      item("clipline_graphql_requests_total", ["Drop Table", "ok"]),
      item("clipline_graphql_requests_total", [String(repeating: "a", count: 65), "ok"]),
      .object([
        "name": "clipline_stage_duration_seconds", "labels": ["cut"], "sum": 1, "count": 1, "buckets": [1, 2],
      ]),
      .object([
        "name": "clipline_stage_duration_seconds", "labels": ["cut"], "sum": 1, "count": 1,
        "buckets": .array(ClipMetrics.stageBuckets.map { _ in .integer(1) }),
      ]),
      .string("not a series"),
    ])
    let consumer = MetricRegistry()
    XCTAssertEqual(MetricsReport.merge(bad, into: consumer, queue: "Q"), 0)
    XCTAssertEqual(MetricsReport.merge(.string("nothing"), into: consumer, queue: "Q"), 0)
    XCTAssertTrue(consumer.snapshot().isEmpty, "\(consumer.snapshot())")
  }

  func testAFamilyTakesABoundedNumberOfSeries() throws {
    let items: JSONValue = .array(
      (0..<(MetricsReport.seriesPerFamily + 10)).map { index in
        .object(["name": "clipline_graphql_requests_total", "labels": [.string("Op\(index)"), "ok"], "value": 1])
      })
    let consumer = MetricRegistry()
    XCTAssertEqual(MetricsReport.merge(items, into: consumer, queue: "Q"), MetricsReport.seriesPerFamily)
    // A series it already has still adds up.
    XCTAssertEqual(MetricsReport.merge(items, into: consumer, queue: "Q"), MetricsReport.seriesPerFamily)
    let family = ClipMetrics.perQueue(ClipMetrics.graphQLRequests)
    XCTAssertEqual(consumer.seriesCount(family), MetricsReport.seriesPerFamily)
    XCTAssertEqual(consumer.value(family, labels: ["Q", "Op0", "ok"])?.value, 2)
  }

  func testNoReportedSeriesMakesNoLine() {
    let registry = MetricRegistry()
    registry.declare(ClipMetrics.storedBytes)
    XCTAssertNil(MetricsReport.line(of: registry))
  }
}
