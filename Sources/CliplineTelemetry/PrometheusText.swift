import Foundation

/// Prometheus' text exposition format (version 0.0.4), which every Prometheus, node_exporter's textfile collector,
/// VictoriaMetrics and the OpenTelemetry collector's prometheus receiver read.
public enum PrometheusText {
  public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

  /// Every family of `registry` but those `leavingOut`, each series with the `constant` label pairs first.
  public static func render(
    _ registry: MetricRegistry, leavingOut: [MetricDescriptor] = [], constant: [(String, String)] = []
  ) -> String {
    var out = ""
    for (descriptor, series) in registry.snapshot() where !leavingOut.contains(descriptor) {
      out += "# HELP \(descriptor.name) \(escapeHelp(descriptor.help))\n"
      out += "# TYPE \(descriptor.name) \(descriptor.kind.rawValue)\n"
      for (labels, value) in series {
        let pairs = constant + Array(zip(descriptor.labels, labels))
        switch descriptor.kind {
        case .counter, .gauge:
          out += "\(descriptor.name)\(labelText(pairs)) \(number(value.value))\n"
        case .histogram:
          out += histogram(descriptor, pairs, value)
        }
      }
    }
    return out
  }

  private static func histogram(_ descriptor: MetricDescriptor, _ pairs: [(String, String)], _ value: MetricValue)
    -> String
  {
    var out = ""
    var cumulative: UInt64 = 0
    for (index, bound) in descriptor.buckets.enumerated() {
      cumulative += index < value.bucketCounts.count ? value.bucketCounts[index] : 0
      out += "\(descriptor.name)_bucket\(labelText(pairs + [("le", number(bound))])) \(cumulative)\n"
    }
    out += "\(descriptor.name)_bucket\(labelText(pairs + [("le", "+Inf")])) \(value.count)\n"
    out += "\(descriptor.name)_sum\(labelText(pairs)) \(number(value.value))\n"
    out += "\(descriptor.name)_count\(labelText(pairs)) \(value.count)\n"
    return out
  }

  static func labelText(_ pairs: [(String, String)]) -> String {
    guard !pairs.isEmpty else { return "" }
    return "{" + pairs.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
  }

  /// Whole numbers without a fraction (what client libraries write), others as Swift's shortest exact form.
  public static func number(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return "\(value)"
  }

  static func escapeLabel(_ text: String) -> String {
    var out = ""
    for character in text {
      switch character {
      case "\\": out += "\\\\"
      case "\"": out += "\\\""
      case "\n": out += "\\n"
      default: out.append(character)
      }
    }
    return out
  }

  static func escapeHelp(_ text: String) -> String {
    text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
  }
}
