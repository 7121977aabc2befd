import CliplineTelemetry
import CliplineTestSupport
import Foundation
import XCTest

/// examples/observability as Prometheus' own tools read it: the scrape config, the alert rules and their unit tests,
/// and a dashboard whose every query a real Prometheus parses and whose every metric clipline exposes.
final class ObservabilityExamplesTests: XCTestCase {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("examples/observability").path

  func testPromtoolAcceptsTheConfigAndTheRulesAndTheirTestsPass() throws {
    for (command, file) in [("check config", "prometheus.yml"), ("check rules", "alerts.yml")] {
      let result = try ToolInvocation.runProcess(
        "/usr/bin/promtool", command.split(separator: " ").map(String.init) + ["\(Self.directory)/\(file)"])
      XCTAssertEqual(result.status, 0, "promtool \(command) \(file): \(result.stdout)\(result.stderr)")
    }
    let tests = try ToolInvocation.runProcess(
      "/usr/bin/promtool", ["test", "rules", "\(Self.directory)/alerts-test.yml"])
    XCTAssertEqual(tests.status, 0, tests.stdout + tests.stderr)
    XCTAssertTrue(tests.stdout.contains("SUCCESS"), tests.stdout)
    let rules = try String(contentsOfFile: "\(Self.directory)/alerts.yml", encoding: .utf8)
    for alert in [
      "CliplineDeadLettersGrowing", "CliplineHandlerStuck", "CliplineFollowerBehindLive", "CliplineQueueNotDraining",
    ] {
      XCTAssertTrue(rules.contains("alert: \(alert)"), alert)
      XCTAssertTrue(
        try String(contentsOfFile: "\(Self.directory)/alerts-test.yml", encoding: .utf8).contains(
          "alertname: \(alert)"), "\(alert) has a unit test")
    }
  }

  /// Every `clipline_…` name in the rules and the dashboard is one the tools expose (a renamed metric would leave
  /// an alert that never fires).
  func testTheExamplesNameOnlyMetricsThatExist() throws {
    let known = Set(ClipMetrics.all.map(\.name))
    for file in ["alerts.yml", "alerts-test.yml", "grafana-dashboard.json"] {
      let text = try String(contentsOfFile: "\(Self.directory)/\(file)", encoding: .utf8)
      let names = try NSRegularExpression(pattern: "clipline_[a-z_]+").matches(
        in: text, range: NSRange(text.startIndex..., in: text)
      ).map { String(text[Range($0.range, in: text)!]) }
      XCTAssertFalse(names.isEmpty, file)
      for name in Set(names) {
        let family = ["_bucket", "_sum", "_count"].reduce(name) { name, suffix in
          name.hasSuffix(suffix) && !known.contains(name) ? String(name.dropLast(suffix.count)) : name
        }
        XCTAssertTrue(known.contains(family), "\(file) names \(name), which no tool exposes")
      }
    }
  }

  func testEveryDashboardQueryIsValidPromQL() throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: "\(Self.directory)/grafana-dashboard.json"))
    let dashboard = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let panels = try XCTUnwrap(dashboard["panels"] as? [[String: Any]])
    let expressions = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
    XCTAssertGreaterThanOrEqual(expressions.count, 10)
    let prometheus = try PrometheusServer(scraping: [])
    try prometheus.wait(for: "vector(1)") { $0.first?.value == 1 }
    for expression in expressions {
      XCTAssertNoThrow(
        try prometheus.query(expression.replacingOccurrences(of: "$queue", with: ".*")), "not PromQL: \(expression)")
    }
  }

  /// The worker pods name the port the PodMonitor scrapes and probe /readyz on it.
  func testTheWorkerDeploymentsExposeTheMetricsPort() throws {
    let monitor = try String(contentsOfFile: "\(Self.directory)/podmonitor.yaml", encoding: .utf8)
    XCTAssertTrue(monitor.contains("- port: metrics"), monitor)
    for worker in ["m0", "s2"] {
      let path = "\(Self.directory)/../kubernetes/deployment-\(worker)-worker.yaml"
      let manifest = try String(contentsOfFile: path, encoding: .utf8)
      XCTAssertTrue(manifest.contains("name: metrics\n              containerPort: 9464"), worker)
      XCTAssertTrue(manifest.contains("value: \":9464\""), worker)
      XCTAssertTrue(manifest.contains("path: /readyz"), worker)
      XCTAssertTrue(manifest.contains("app.kubernetes.io/part-of: clipline"), "the PodMonitor selects it: \(worker)")
    }
  }
}
