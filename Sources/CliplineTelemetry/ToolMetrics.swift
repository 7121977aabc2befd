import CliplineRecords
import Foundation

/// This process's own counts and stage timings (`ClipMetrics.reported`): bytes stored, chunks cut, GraphQL
/// requests, how long each stage took. The libraries add to `registry` as they work (a dictionary update under a
/// lock, per object or request); who reads it depends on how the tool runs: inside an `amqp-consume` handler, one
/// line on the report channel as the run ends; in `kvs-follow`, its `/metrics`; in a cron tool, its `--metrics-file`.
/// Otherwise nobody, and nothing is written anywhere.
public enum ToolMetrics {
  public static let registry = MetricRegistry()

  /// The stages of a handler's pipeline.
  public enum Stage: String, CaseIterable, Sendable {
    case download, cut, upload, record, publish
  }

  /// One step of `stage` took from `start` until now.
  public static func stage(_ stage: Stage, since start: Date, now: Date = Date()) {
    registry.observe(ClipMetrics.stageDuration, max(0, now.timeIntervalSince(start)), labels: [stage.rawValue])
  }

  /// Runs `body` as one step of `stage`, timed whether it succeeds or throws.
  public static func timing<T>(_ stage: Stage, _ body: () throws -> T) rethrows -> T {
    let start = Date()
    defer { self.stage(stage, since: start) }
    return try body()
  }

  /// The run is over: its figures go to the consumer when it runs inside a handler (nothing when there are none).
  public static func report() {
    guard let descriptor = ReportChannel.descriptor, let line = MetricsReport.line(of: registry) else { return }
    ReportChannel.append(line, to: descriptor)
  }
}
