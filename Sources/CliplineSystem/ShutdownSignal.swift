import Foundation

/// SIGTERM and SIGINT ask a tool to stop: it finishes or abandons the current unit cleanly, then exits.
/// `lock` guards `requested`, `handlers` and `sources`; `wakeUp` (the pipe's two descriptors) is a `let`.
public final class ShutdownSignal: @unchecked Sendable {
  public static let shared = ShutdownSignal()

  /// Guards `requested`, `handlers` and `sources`; `sleep` waits on it.
  private let lock = NSCondition()
  private var requested = false
  private var handlers: [@Sendable (Int32) -> Void] = []
  private var sources: [DispatchSourceSignal] = []
  private let wakeUp: (read: Int32, write: Int32)

  private init() {
    var ends: [Int32] = [-1, -1]
    // Without a pipe `wakeUpDescriptor` is -1, which poll(2) ignores; `sleep` does not need it.
    if pipe(&ends) == 0 {
      for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
    }
    wakeUp = (ends[0], ends[1])
  }

  public var isRequested: Bool { lock.withLock { requested } }

  /// A descriptor that turns readable once shutdown is requested (and stays so): put it beside your own in poll(2)
  /// to wake from a wait on a socket or a pipe.
  public var wakeUpDescriptor: Int32 { wakeUp.read }

  /// Waits up to `seconds`, or less once shutdown is requested (at once if it already was). Every sleep in the
  /// tools (backoff, Retry-After, reconnects) goes through here, so SIGTERM never waits out a delay.
  /// Returns true when it woke for shutdown.
  @discardableResult
  public func sleep(_ seconds: Double) -> Bool {
    let deadline = Date(timeIntervalSinceNow: seconds.isFinite ? max(0, seconds) : 0)
    lock.lock()
    defer { lock.unlock() }
    while !requested {
      if !lock.wait(until: deadline) { return requested }
    }
    return true
  }

  /// Starts listening; `handler` runs on a background queue for each signal received.
  public func install(signals: [Int32] = [SIGTERM, SIGINT], handler: (@Sendable (Int32) -> Void)? = nil) {
    lock.withLock {
      if let handler { handlers.append(handler) }
      guard sources.isEmpty else { return }
      for number in signals {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { [weak self] in self?.receive(number) }
        source.resume()
        sources.append(source)
      }
    }
  }

  private func receive(_ number: Int32) {
    let toCall = lock.withLock { () -> [@Sendable (Int32) -> Void] in
      if !requested {
        var byte: UInt8 = 1
        _ = write(wakeUp.write, &byte, 1)
      }
      requested = true
      lock.broadcast()
      return handlers
    }
    for handler in toCall { handler(number) }
  }

  /// For tests and for tools that stop themselves.
  public func request() { receive(SIGTERM) }
}

/// Stopped by SIGTERM/SIGINT before the work was done: worth retrying (exit 75). The one error for it in every
/// tool; `detail` says what was and was not done ("before the input ended; the 3 messages read were confirmed").
public struct StoppedBySignal: ExitStatusProviding, CustomStringConvertible, Equatable {
  public let detail: String

  public init(_ detail: String = "before the work was done") { self.detail = detail }

  public var exitStatus: ExitStatus { .temporaryFailure }
  public var description: String { "stopped by a signal \(detail)" }
}
