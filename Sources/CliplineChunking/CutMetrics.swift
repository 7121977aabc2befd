import CliplineTelemetry
import Foundation

/// What one request's cut adds to the tool's figures (`ToolMetrics`): its chunks and seconds of video by mode, the
/// cut (from the source open to the last chunk) and, for a source that was fetched, its download (from the request's
/// start until every byte had arrived; it overlaps the cut when the source is read while it downloads).
enum CutMetrics {
  static func record(chunks: Int, plan: CutPlan, opened: Date, downloadStarted: Date?, downloadEnded: Date?) {
    let mode = [plan.modeName]
    ToolMetrics.registry.add(ClipMetrics.chunksCut, Double(chunks), labels: mode)
    ToolMetrics.registry.add(ClipMetrics.videoCut, plan.duration, labels: mode)
    ToolMetrics.stage(.cut, since: opened)
    if let downloadStarted, let downloadEnded {
      ToolMetrics.stage(.download, since: downloadStarted, now: downloadEnded)
    }
  }
}
