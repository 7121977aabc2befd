import Foundation

/// Tells systemd how a long-running tool is doing, by sd_notify's protocol without libsystemd: one datagram per
/// message to the unix socket `$NOTIFY_SOCKET` names (a path, or `@` and an abstract name). A unit with
/// `Type=notify` counts as started at `READY=1`; with `WatchdogSec=` systemd restarts it when `WATCHDOG=1` stops
/// coming within the interval it puts in `$WATCHDOG_USEC`. Without `NOTIFY_SOCKET` every call does nothing.
/// `lock` guards `ready`, `stopped`, `lastPing` and `lastStatus`.
public final class ServiceNotifier: @unchecked Sendable {
  public static let shared = ServiceNotifier(environment: ProcessInfo.processInfo.environment)

  private let socket: String?
  /// Half the watchdog interval (as sd_watchdog_enabled advises), at most a second: how often `alive` pings.
  private let pingEvery: TimeInterval
  private let lock = NSLock()
  private var ready = false
  private var stopped = false
  private var lastPing = Date.distantPast
  private var lastStatus: String?

  init(environment: [String: String]) {
    socket = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
    let watchdog = environment["WATCHDOG_USEC"].flatMap(Double.init).map { $0 / 2_000_000 }
    pingEvery = min(watchdog ?? 1, 1)
  }

  /// The tool's loop turned and it is in `status` (said when it changes): `READY=1` the first time `ready` is
  /// true, `WATCHDOG=1` at most every `pingEvery`. Nothing once `stopping()` was said.
  public func alive(ready isReady: Bool, status: String) {
    guard socket != nil else { return }
    let now = Date()
    let message = lock.withLock { () -> String? in
      guard !stopped else { return nil }
      var lines: [String] = []
      if isReady && !ready {
        ready = true
        lines.append("READY=1")
      }
      if status != lastStatus {
        lastStatus = status
        lines.append("STATUS=\(status)")
      }
      if !lines.isEmpty || now.timeIntervalSince(lastPing) >= pingEvery {
        lastPing = now
        lines.append("WATCHDOG=1")
      }
      return lines.joined(separator: "\n")
    }
    if let message { send(message) }
  }

  /// The tool is shutting down: systemd stops expecting pings.
  public func stopping() {
    guard socket != nil,
      lock.withLock({ () -> Bool in
        defer { stopped = true }
        return !stopped
      })
    else { return }
    send("STOPPING=1")
  }

  /// One datagram; a failure is ignored (systemd not listening must not stop the tool).
  private func send(_ message: String) {
    guard let socket else { return }
    var path = Array(socket.utf8)
    if path.first == UInt8(ascii: "@") { path[0] = 0 }
    var address = sockaddr_un()
    guard path.count < MemoryLayout.size(ofValue: address.sun_path) else { return }
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
    let length = socklen_t(MemoryLayout.offset(of: \sockaddr_un.sun_path)! + path.count)
    let descriptor = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { return }
    defer { close(descriptor) }
    let bytes = Array(message.utf8)
    _ = withUnsafePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
        bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), address, length) }
      }
    }
  }
}
