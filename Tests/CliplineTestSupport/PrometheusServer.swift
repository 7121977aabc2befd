import Foundation

/// A real Prometheus (Debian's `prometheus` package) scraping given targets every second on loopback, answering
/// PromQL queries over its HTTP API; stopped when released. For tests of what the tools expose.
public final class PrometheusServer {
  public let address: String
  private let daemon: QuietDaemon
  private let directory: ScratchDirectory

  public init(scraping targets: [String], rules: String? = nil) throws {
    directory = try ScratchDirectory("prometheus")
    address = "127.0.0.1:\(try Self.freePort())"
    var config = """
      global:
        scrape_interval: 1s
        evaluation_interval: 1s
      scrape_configs:
        - job_name: clipline
          static_configs:
            - targets: [\(targets.map { "\"\($0)\"" }.joined(separator: ", "))]

      """
    if let rules {
      try rules.write(toFile: directory.file("rules.yml"), atomically: true, encoding: .utf8)
      config += "rule_files: [\"\(directory.file("rules.yml"))\"]\n"
    }
    try config.write(toFile: directory.file("prometheus.yml"), atomically: true, encoding: .utf8)
    daemon = try QuietDaemon(
      "/usr/bin/prometheus",
      [
        "--config.file=\(directory.file("prometheus.yml"))", "--storage.tsdb.path=\(directory.file("data"))",
        "--web.listen-address=\(address)", "--log.level=warn",
      ])
  }

  /// The result vector of an instant query: each series' labels and value.
  public func query(_ promql: String) throws -> [(labels: [String: String], value: Double)] {
    let result = try ToolInvocation.runProcess(
      "/usr/bin/curl",
      ["-s", "--max-time", "5", "--data-urlencode", "query=\(promql)", "http://\(address)/api/v1/query"],
      timeout: 10)
    guard result.status == 0,
      let answer = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
      let data = answer["data"] as? [String: Any], let vector = data["result"] as? [[String: Any]]
    else { throw TestFailure("Prometheus did not answer \(promql): \(result.stdout)\(result.stderr)") }
    return vector.map { series in
      let value = (series["value"] as? [Any])?.last as? String
      return (series["metric"] as? [String: String] ?? [:], Double(value ?? "") ?? .nan)
    }
  }

  /// Polls the query until `condition` holds on its result, for up to `timeout` seconds (scrapes come every second).
  public func wait(
    for promql: String, timeout: Double = 30, _ condition: ([(labels: [String: String], value: Double)]) -> Bool
  ) throws {
    let end = Date().addingTimeInterval(timeout)
    var last: [(labels: [String: String], value: Double)] = []
    while Date() < end {
      last = (try? query(promql)) ?? []
      if condition(last) { return }
      Thread.sleep(forTimeInterval: 0.25)
    }
    throw TestFailure("Prometheus never answered \(promql) as expected; last: \(last)")
  }

  public static func freePort() throws -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let result = try ToolInvocation.runProcess(root.appendingPathComponent("scripts/free-port").path, [])
    guard result.status == 0 else { throw TestFailure("no free port: \(result.stderr)") }
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
