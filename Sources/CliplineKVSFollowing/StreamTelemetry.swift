import CliplineKVS
import CliplineRecords
import CliplineSystem
import CliplineTelemetry
import Foundation

/// One followed stream's four series in the process's metrics (`ToolMetrics.registry`, which kvs-follow serves on
/// `--metrics-listen` and writes to `--metrics-file`), labelled by its stream name (the one per-camera label,
/// docs/observability.md), and a trace per window: the window's span, whose context its record carries as
/// `traceparent` so that amqp-pub writes it into the message and the S2 worker continues it.
// Used on its stream's thread only.
final class StreamTelemetry {
  let stream: String
  private var registry: MetricRegistry { ToolMetrics.registry }

  init(camera: CameraRecord) {
    stream = camera.streamName
    // Counters start at 0, so a stream followed without a window yet is seen (and rate() has a first point).
    for family in [ClipMetrics.followWindows, ClipMetrics.followGaps, ClipMetrics.followReconnects] {
      registry.add(family, 0, labels: [stream])
    }
  }

  /// Whether KVS says how far behind live its fragments are (MillisBehindNow); else a window's end says it.
  private var kvsSaysBehind = false

  func behindLive(millis: Int64) {
    kvsSaysBehind = true
    registry.set(ClipMetrics.followBehindLive, Double(millis) / 1000, labels: [stream])
  }

  func gap() { registry.add(ClipMetrics.followGaps, labels: [stream]) }

  func reconnected() { registry.add(ClipMetrics.followReconnects, labels: [stream]) }

  /// A window's record was written: counted, and its trace's span (from its first fragment until now) recorded.
  func windowWritten(_ record: Record, trace: RecordTrace?) {
    registry.add(ClipMetrics.followWindows, labels: [stream])
    if !kvsSaysBehind, let end = record["end_time"]?.stringValue.flatMap(RFC3339.parse) {
      registry.set(ClipMetrics.followBehindLive, max(0, Date().timeIntervalSince(end)), labels: [stream])
    }
    trace?.finish("kvs-follow window", record: record)
  }
}
