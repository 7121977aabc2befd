import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

@testable import CliplineTelemetry

/// `--metrics-listen`'s server, asked by curl as a scraper or a kubelet would.
final class MetricsListenerTests: XCTestCase {
  final class Flags: @unchecked Sendable {  // `lock` guards `ready`
    private let lock = NSLock()
    private var ready = false
    var isReady: Bool {
      get { lock.withLock { ready } }
      set { lock.withLock { ready = newValue } }
    }
  }

  private func curl(_ url: String, _ extra: [String] = []) throws -> (status: String, body: String) {
    let result = try ToolInvocation.runProcess(
      "/usr/bin/curl", ["-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "10"] + extra + [url], timeout: 20)
    var lines = result.stdout.components(separatedBy: "\n")
    let status = lines.removeLast()
    return (status, lines.joined(separator: "\n"))
  }

  func testMetricsHealthAndReadinessAreServedAndNothingElse() throws {
    let registry = MetricRegistry()
    let counter = MetricDescriptor("test_things_total", .counter, help: "Things.", labels: ["kind"])
    registry.add(counter, 3, labels: ["a"])
    let flags = Flags()
    let listener = try MetricsListener(
      listen: "127.0.0.1:0", registry: registry,
      probes: .init(health: { nil }, readiness: { flags.isReady ? nil : "reconnecting" }))
    defer { listener.close() }
    let base = "http://\(listener.address)"
    XCTAssertTrue(listener.address.hasPrefix("127.0.0.1:"), listener.address)
    XCTAssertFalse(listener.address.hasSuffix(":0"), "the port the kernel chose: \(listener.address)")

    let metrics = try curl(base + "/metrics")
    XCTAssertEqual(metrics.status, "200")
    XCTAssertTrue(metrics.body.contains(#"test_things_total{kind="a"} 3"#), metrics.body)
    let type = try ToolInvocation.runProcess(
      "/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{content_type}", base + "/metrics"])
    XCTAssertEqual(type.stdout, PrometheusText.contentType)
    XCTAssertEqual(try curl(base + "/healthz").status, "200")
    XCTAssertEqual(try curl(base + "/readyz").status, "503")
    XCTAssertEqual(try curl(base + "/readyz").body, "reconnecting\n")
    flags.isReady = true
    XCTAssertEqual(try curl(base + "/readyz").status, "200")
    XCTAssertEqual(try curl(base + "/nothing").status, "404")
    XCTAssertEqual(try curl(base + "/metrics", ["-X", "POST"]).status, "405")
    XCTAssertEqual(try curl(base + "/metrics", ["-I"]).status, "200")
    registry.add(counter, labels: ["a"])
    XCTAssertTrue(try curl(base + "/metrics").body.contains(#"test_things_total{kind="a"} 4"#), "read at each scrape")
  }

  /// A client that connects and says nothing is cut off, and the next scrape is answered.
  func testASilentClientIsDroppedAndTheNextScrapeAnswered() throws {
    let listener = try MetricsListener(
      listen: "127.0.0.1:0", registry: MetricRegistry(), probes: .init(health: { nil }, readiness: { nil }))
    defer { listener.close() }
    let port = UInt16(listener.address.split(separator: ":").last!)!
    let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(silent) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(silent, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    XCTAssertEqual(connected, 0)
    XCTAssertEqual(try curl("http://\(listener.address)/healthz").status, "200")
    var byte: UInt8 = 0
    XCTAssertEqual(read(silent, &byte, 1), 0, "the server closed the silent connection")
  }

  func testAnAddressInUseIsAConfigurationError() throws {
    let first = try MetricsListener(
      listen: "127.0.0.1:0", registry: MetricRegistry(), probes: .init(health: { nil }, readiness: { nil }))
    defer { first.close() }
    XCTAssertThrowsError(
      try MetricsListener(
        listen: first.address, registry: MetricRegistry(), probes: .init(health: { nil }, readiness: { nil }))
    ) { error in
      XCTAssertEqual(ExitStatus.of(error), .configuration)
      XCTAssertEqual("\(error)", "cannot listen on \(first.address): Address already in use")
    }
    XCTAssertFalse(MetricsListener.isAddress("9464"))
    XCTAssertFalse(MetricsListener.isAddress("host:http"))
    XCTAssertTrue(MetricsListener.isAddress(":9464"))
    XCTAssertTrue(MetricsListener.isAddress("[::1]:9464"))
  }
}
