import Foundation

/// SIGTERM and SIGINT ask a tool to stop: it finishes or abandons the current unit cleanly, then exits.
public final class ShutdownSignal: @unchecked Sendable {
  public static let shared = ShutdownSignal()

  private let lock = NSLock()
  private var requested = false
  private var handlers: [@Sendable (Int32) -> Void] = []
  private var sources: [DispatchSourceSignal] = []

  public var isRequested: Bool { lock.withLock { requested } }

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
      requested = true
      return handlers
    }
    for handler in toCall { handler(number) }
  }

  /// For tests and for tools that stop themselves.
  public func request() { receive(SIGTERM) }
}

/// Stopped by SIGTERM/SIGINT before the work was done: worth retrying (exit 75).
public struct Interrupted: ExitStatusProviding, CustomStringConvertible {
  public init() {}
  public var exitStatus: ExitStatus { .temporaryFailure }
  public var description: String { "stopped by a signal before the work was done" }
}
