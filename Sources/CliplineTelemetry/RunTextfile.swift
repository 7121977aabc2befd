import Foundation

/// What a tool run from cron (kvs-discover, m0-submit, amqp-dlq) leaves in its `--metrics-file` as it ends: when
/// the run ended, how long it took, its exit code, how many records it wrote, and its own figures
/// (`ToolMetrics.registry`: a publish's stage timings, …). node_exporter's textfile collector serves every `*.prom`
/// file of its directory as one set, so every series carries the tool's name: two tools' files never give the same
/// series twice, which would fail the whole scrape. `process_start_time_seconds` stays out for the same reason
/// (node_exporter has its own).
public enum RunTextfile {
  public static let lastRunEnd = MetricDescriptor(
    "clipline_last_run_timestamp_seconds", .gauge, help: "When the tool's last run ended (Unix time).",
    labels: ["tool"])
  public static let lastRunDuration = MetricDescriptor(
    "clipline_last_run_duration_seconds", .gauge, help: "How long the tool's last run took.", labels: ["tool"])
  public static let lastRunExitCode = MetricDescriptor(
    "clipline_last_run_exit_code", .gauge, help: "The exit code of the tool's last run (0: it succeeded).",
    labels: ["tool"])
  public static let lastRunRecords = MetricDescriptor(
    "clipline_last_run_records", .gauge,
    help: "Records the tool's last run wrote (kvs-discover: cameras or tasks; m0-submit: requests queued; "
      + "amqp-dlq: messages listed or replayed).", labels: ["tool"])

  /// The families only a cron tool's file holds.
  public static let families = [lastRunEnd, lastRunDuration, lastRunExitCode, lastRunRecords]

  /// The file's series for a run of `tool` from `started` until `ended` that exited `exitCode`.
  public static func registry(
    tool: String, version: String, started: Date, ended: Date = Date(), exitCode: Int32,
    figures: MetricRegistry = ToolMetrics.registry
  ) -> MetricRegistry {
    let out = MetricRegistry()
    out.set(ClipMetrics.buildInfo, 1, labels: [version, tool])
    out.set(lastRunEnd, ended.timeIntervalSince1970, labels: [tool])
    out.set(lastRunDuration, max(0, ended.timeIntervalSince(started)), labels: [tool])
    out.set(lastRunExitCode, Double(exitCode), labels: [tool])
    out.set(lastRunRecords, figures.value(lastRunRecords, labels: [tool])?.value ?? 0, labels: [tool])
    for (descriptor, series) in figures.snapshot() where !families.contains(descriptor) {
      let perTool = descriptor.labels.contains("tool") ? descriptor : withTool(descriptor)
      for (labels, value) in series {
        out.merge(perTool, value, labels: perTool == descriptor ? labels : [tool] + labels)
      }
    }
    return out
  }

  /// A family as a cron tool's file shows it: the same, with the tool's name first.
  static func withTool(_ descriptor: MetricDescriptor) -> MetricDescriptor {
    MetricDescriptor(
      descriptor.name, descriptor.kind, help: descriptor.help, labels: ["tool"] + descriptor.labels,
      buckets: descriptor.buckets)
  }
}

extension ToolMetrics {
  /// The run wrote `count` records (more): what a cron tool's `--metrics-file` says as `clipline_last_run_records`.
  public static func recordsWritten(_ count: Int, tool: String) {
    registry.add(RunTextfile.lastRunRecords, Double(count), labels: [tool])
  }
}
