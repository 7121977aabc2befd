import Foundation

/// A real node_exporter (Debian's `prometheus-node-exporter`) with only its textfile collector on, reading the
/// `*.prom` files of a directory: what serves a cron tool's `--metrics-file` to Prometheus. Stopped when released.
public final class NodeExporter {
  public let address: String
  private let daemon: QuietDaemon

  public init(textfiles directory: String) throws {
    address = "127.0.0.1:\(try PrometheusServer.freePort())"
    daemon = try QuietDaemon(
      "/usr/bin/prometheus-node-exporter",
      [
        "--collector.disable-defaults", "--collector.textfile", "--collector.textfile.directory=\(directory)",
        "--web.listen-address=\(address)", "--log.level=warn",
      ])
  }

  /// Its exposition, once it answers (it starts in well under a second).
  public func metrics() throws -> String {
    var text = ""
    try eventually(timeout: 10, "node_exporter answers on \(address)") {
      let result = try ToolInvocation.runProcess(
        "/usr/bin/curl", ["-sf", "--max-time", "5", "http://\(address)/metrics"], timeout: 10)
      text = result.stdout
      return result.status == 0
    }
    return text
  }

  /// Its exposition at the second scrape, which counts the first one's gathering errors.
  public func secondScrape() throws -> String {
    _ = try metrics()
    return try metrics()
  }

  /// Gathering errors the scrapes before this `text` met: a series two files both hold makes one each scrape.
  public static func gatheringErrors(in text: String) -> Double? {
    value("promhttp_metric_handler_errors_total", ["cause": "gathering"], in: text)
  }

  /// The series of `name` whose labels include all of `labels`.
  public static func series(_ name: String, _ labels: [String: String] = [:], in text: String) -> [Substring] {
    text.split(separator: "\n").filter { line in
      guard line.hasPrefix(name + "{") || line.hasPrefix(name + " ") else { return false }
      let head = line.prefix { $0 != " " }
      return labels.allSatisfy { head.contains("\($0.key)=\"\($0.value)\"") }
    }
  }

  /// The value of the one series of `name` whose labels include all of `labels`; nil when there is none.
  public static func value(_ name: String, _ labels: [String: String] = [:], in text: String) -> Double? {
    series(name, labels, in: text).lazy.compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.first
  }
}
