import Foundation

/// A long-running tool's `--metrics-file`: written at most every `interval` seconds while it runs, and once more
/// when it stops (`force`), so the collector sees fresh figures without the tool rewriting a file on every change.
/// `lock` guards `written`.
public final class PacedTextfile: @unchecked Sendable {
  public let textfile: MetricsTextfile
  private let interval: Double
  private let lock = NSLock()
  private var written = Date.distantPast

  public init(_ textfile: MetricsTextfile, interval: Double = 5) {
    self.textfile = textfile
    self.interval = interval
  }

  /// Writes `registry` when due (or now when `force`); a failure is returned, for the caller to say.
  public func write(_ registry: MetricRegistry, force: Bool = false) -> Error? {
    let due = lock.withLock {
      guard force || Date().timeIntervalSince(written) >= interval else { return false }
      written = Date()
      return true
    }
    guard due else { return nil }
    do {
      try textfile.write(registry)
      return nil
    } catch {
      return error
    }
  }
}
