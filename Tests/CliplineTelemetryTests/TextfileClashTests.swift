import CliplineTestSupport
import Foundation
import XCTest

@testable import CliplineTelemetry

/// Two processes of one tool writing `--metrics-file`s into one node_exporter textfile directory: two followers
/// (their per-stream series, build info and dropped spans) and two kvs-discover runs for different targets. A series
/// both files hold fails node_exporter's gathering on every scrape; each file's name is its `textfile` label.
final class TextfileClashTests: XCTestCase {
  private func follower(streams: [String]) -> MetricRegistry {
    let registry = MetricRegistry()
    registry.describeProcess(tool: "kvs-follow", version: "1.0.0")
    registry.add(ClipMetrics.spansDropped, 0)
    for stream in streams { registry.add(ClipMetrics.followWindows, labels: [stream]) }
    return registry
  }

  func testTwoFollowersAndTwoDiscoveriesInOneDirectoryScrapeWithoutAGatheringError() throws {
    let directory = try ScratchDirectory("textfile-clash")
    try MetricsTextfile(path: directory.file("follow-a.prom")).write(follower(streams: ["cam-1", "cam-2"]))
    try MetricsTextfile(path: directory.file("follow-b.prom")).write(follower(streams: ["cam-3"]))
    for target in ["east", "west"] {
      let run = RunTextfile.registry(
        tool: "kvs-discover", version: "1.0.0", started: Date(), exitCode: 0, figures: MetricRegistry())
      try MetricsTextfile(path: directory.file("kvs-discover-\(target).prom")).write(run)
    }

    let text = try NodeExporter(textfiles: directory.path).secondScrape()
    XCTAssertEqual(NodeExporter.value("node_textfile_scrape_error", in: text), 0, text)
    XCTAssertEqual(NodeExporter.gatheringErrors(in: text), 0, text)
    XCTAssertEqual(NodeExporter.series("clipline_build_info", ["tool": "kvs-follow"], in: text).count, 2, text)
    XCTAssertEqual(NodeExporter.series("clipline_spans_dropped_total", in: text).count, 2, text)
    XCTAssertEqual(NodeExporter.value("clipline_follow_windows_total", ["textfile": "follow-b"], in: text), 1, text)
    for target in ["east", "west"] {
      let labels = ["tool": "kvs-discover", "textfile": "kvs-discover-\(target)"]
      XCTAssertEqual(NodeExporter.value("clipline_last_run_exit_code", labels, in: text), 0, text)
    }
  }

  func testTheLabelIsTheFilesNameWithoutProm() {
    XCTAssertEqual(MetricsTextfile(path: "/var/lib/node_exporter/s2-worker.prom").label.1, "s2-worker")
    XCTAssertEqual(MetricsTextfile(path: "relative.txt").label.1, "relative.txt")
    XCTAssertEqual(MetricsTextfile(path: "/d/.prom").label.1, ".prom")
  }
}
