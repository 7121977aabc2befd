import Foundation

/// One self-rewriting status line on stderr, only when stderr is a terminal (never in pipes or logs).
public final class ProgressLine: @unchecked Sendable {  // `lock` guards `lastDraw` and `drawn`; `enabled` is a let
  private let enabled: Bool
  private let lock = NSLock()
  private var lastDraw = Date.distantPast
  private var drawn = false

  public init(enabled: Bool = isatty(STDERR_FILENO) == 1) { self.enabled = enabled }

  public func update(_ text: String, force: Bool = false) {
    guard enabled else { return }
    lock.withLock {
      let now = Date()
      guard force || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
      lastDraw = now
      drawn = true
      StandardError.write("\r\u{1B}[K" + text)
    }
  }

  public func clear() {
    guard enabled else { return }
    lock.withLock {
      if drawn { StandardError.write("\r\u{1B}[K") }
      drawn = false
    }
  }

  /// `12.3 MB` style sizes for progress and logs.
  public static func bytes(_ count: Int64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var value = Double(count)
    var unit = 0
    while value >= 1000, unit < units.count - 1 {
      value /= 1000
      unit += 1
    }
    return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
  }
}
