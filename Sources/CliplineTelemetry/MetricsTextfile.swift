import CliplineSystem
import Foundation

/// `--metrics-file PATH`: the exposition written for node_exporter's textfile collector (name it `*.prom` in the
/// collector's directory). Written to a temporary file beside it and renamed over it, so the collector never reads
/// half a file; never renamed over anything that is not a regular file (as root, a rename onto `/dev/stdout` would
/// replace that link for every process).
public struct MetricsTextfile: Sendable {
  public let path: String

  public init(path: String) { self.path = path }

  /// The label every series of the file carries: `textfile` = the file's name without `.prom` (`s2-worker.prom`:
  /// `textfile="s2-worker"`). node_exporter serves every file of its directory as one set, and a series two files
  /// both hold (two consumers' `clipline_build_info`, two cron runs' `clipline_last_run_*`) fails its gathering on
  /// every scrape. Two files of one directory never share a name, so their series never clash; one value per file,
  /// so the label adds no series.
  public var label: (String, String) { (Self.labelName, Self.labelValue(path)) }

  public static let labelName = "textfile"

  static func labelValue(_ path: String) -> String {
    let name = path.split(separator: "/").last.map(String.init) ?? path
    return name.hasSuffix(".prom") && name.count > 5 ? String(name.dropLast(5)) : name
  }

  public func write(_ registry: MetricRegistry) throws {
    var status = stat()
    if lstat(path, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
      throw TelemetrySetupError("cannot write the metrics file \(path)", reason: "it exists and is not a regular file")
    }
    do {
      // 0644: the collector may run as another user. node_exporter serves its own process_start_time_seconds:
      // the same family from a file fails its gathering (the file's series dropped, an error each scrape).
      let text = PrometheusText.render(registry, leavingOut: [ClipMetrics.startTime], constant: [label])
      try WholeFile.write(Array(text.utf8), to: path, permissions: 0o644)
    } catch let error as SystemCallError {
      throw TelemetrySetupError("cannot write the metrics file \(path)", errno: error.code)
    }
  }
}

/// A listener or a metrics file that could not be set up: `what` failed (`cannot listen on :9464`), and why. A
/// malformed address is a usage error (64), an address in use or a path we cannot use a configuration error (78),
/// a port or file we may not take 77.
public struct TelemetrySetupError: Error, CustomStringConvertible, ExitStatusProviding {
  public let what: String
  public let reason: String
  public let exitStatus: ExitStatus

  init(_ what: String, reason: String, _ exitStatus: ExitStatus = .configuration) {
    self.what = what
    self.reason = reason
    self.exitStatus = exitStatus
  }

  init(_ what: String, errno code: Int32) {
    let status = ExitStatus.of(errno: code)
    self.init(what, reason: String(cString: strerror(code)), status == .failure ? .configuration : status)
  }

  public var description: String { "\(what): \(reason)" }
}
