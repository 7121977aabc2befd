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

  /// The value of the one series of `name` whose labels include all of `labels`; nil when there is none.
  public static func value(_ name: String, _ labels: [String: String] = [:], in text: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(name + "{") || line.hasPrefix(name + " ") {
      let head = line.prefix { $0 != " " }
      let wanted = labels.allSatisfy { head.contains("\($0.key)=\"\($0.value)\"") }
      if wanted, let number = line.split(separator: " ").last.flatMap({ Double($0) }) { return number }
    }
    return nil
  }
}
