import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

@testable import CliplineTelemetry

/// The exposition, read back by Prometheus' own checker (`promtool check metrics`, Debian's prometheus package).
final class PrometheusTextTests: XCTestCase {
  static let counter = MetricDescriptor(
    "test_jobs_total", .counter, help: "Jobs.\nSecond line with a \\ backslash.", labels: ["queue", "outcome"])
  static let histogram = MetricDescriptor(
    "test_job_duration_seconds", .histogram, help: "How long jobs take.", labels: ["queue"], buckets: [1, 0.5, 10])
  static let gauge = MetricDescriptor("test_running", .gauge, help: "Running now.")

  private func sample() -> MetricRegistry {
    let registry = MetricRegistry()
    registry.add(Self.counter, labels: ["Q", "acked"])
    registry.add(Self.counter, 2, labels: ["Q", "acked"])
    registry.add(Self.counter, labels: ["weird \"queue\"\\\n", "dead_lettered"])
    for seconds in [0.2, 0.7, 3, 30] { registry.observe(Self.histogram, seconds, labels: ["Q"]) }
    registry.set(Self.gauge, 1.5)
    return registry
  }

  func testTheTextHasHelpTypeSortedSeriesEscapedLabelsAndCumulativeBuckets() {
    let text = PrometheusText.render(sample())
    XCTAssertEqual(
      text,
      """
      # HELP test_jobs_total Jobs.\\nSecond line with a \\\\ backslash.
      # TYPE test_jobs_total counter
      test_jobs_total{queue="Q",outcome="acked"} 3
      test_jobs_total{queue="weird \\"queue\\"\\\\\\n",outcome="dead_lettered"} 1
      # HELP test_job_duration_seconds How long jobs take.
      # TYPE test_job_duration_seconds histogram
      test_job_duration_seconds_bucket{queue="Q",le="0.5"} 1
      test_job_duration_seconds_bucket{queue="Q",le="1"} 2
      test_job_duration_seconds_bucket{queue="Q",le="10"} 3
      test_job_duration_seconds_bucket{queue="Q",le="+Inf"} 4
      test_job_duration_seconds_sum{queue="Q"} 33.9
      test_job_duration_seconds_count{queue="Q"} 4
      # HELP test_running Running now.
      # TYPE test_running gauge
      test_running 1.5

      """)
  }

  func testPromtoolAcceptsTheExposition() throws {
    let scratch = try ScratchDirectory("promtool")
    let path = scratch.file("metrics.prom")
    try MetricsTextfile(path: path).write(sample())
    let result = try ToolInvocation.runProcess(
      "/usr/bin/promtool", ["check", "metrics"], stdin: try Data(contentsOf: URL(fileURLWithPath: path)))
    XCTAssertEqual(result.status, 0, "promtool: \(result.stdout)\(result.stderr)")
    XCTAssertEqual(result.stdout + result.stderr, "", "no lint findings")
  }

  func testTheTextfileIsReplacedWholeAndNeverOverSomethingElse() throws {
    let scratch = try ScratchDirectory("textfile")
    let path = scratch.file("clipline.prom")
    let registry = sample()
    try MetricsTextfile(path: path).write(registry)
    registry.add(Self.counter, labels: ["Q", "acked"])
    try MetricsTextfile(path: path).write(registry)
    let text = try String(contentsOfFile: path, encoding: .utf8)
    XCTAssertTrue(text.contains(#"test_jobs_total{textfile="clipline",queue="Q",outcome="acked"} 4"#), text)
    let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
    XCTAssertEqual(mode, 0o644, "the collector may run as another user")
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: scratch.path), ["clipline.prom"], "no temporaries left")

    let link = scratch.file("link.prom")
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/dev/null")
    XCTAssertThrowsError(try MetricsTextfile(path: link).write(registry)) { error in
      XCTAssertEqual(ExitStatus.of(error), .configuration)
      XCTAssertTrue("\(error)".contains("not a regular file"), "\(error)")
    }
    XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), "/dev/null")
  }
}
