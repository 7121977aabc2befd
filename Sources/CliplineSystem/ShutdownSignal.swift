import Foundation

/// SIGTERM, SIGINT and SIGHUP ask a tool to stop: it finishes or abandons the current unit cleanly, then exits.
/// SIGUSR1, SIGUSR2 and SIGALRM are ignored: nothing in clipline uses them, and their default action (death)
/// would skip that clean-up. `runTool` starts listening for every tool (`listen()`).
///
/// The signal handler only writes the signal's number into a pipe (write(2) is async-signal-safe); one thread
/// reads it and does the rest. libdispatch's signal sources would cost a descriptor per signal (a signalfd each,
/// plus its epoll and eventfd), which a tool under `ulimit -n` cannot spare, and it crashes when it cannot get them.
/// `lock` guards `requested`, `received`, `handlers`, `childHandlers` and `listener`; `wakeUp` (the pipe's two
/// descriptors) is a `let`.
public final class ShutdownSignal: @unchecked Sendable {
  public static let shared = ShutdownSignal()

  /// The signals that stop a tool. SIGHUP too: a tool has no configuration to reload, and a closed terminal or a
  /// session's end should stop it as cleanly as a supervisor's SIGTERM.
  public static let stopping: [Int32] = [SIGTERM, SIGINT, SIGHUP]
  /// The signals a tool ignores. A child started with posix_spawn gets them back at their default (SETSIGDEF).
  public static let ignored: [Int32] = [SIGUSR1, SIGUSR2, SIGALRM]

  /// Guards `requested`, `received`, `handlers` and `listener`; `sleep` waits on it.
  private let lock = NSCondition()
  private var requested = false
  private var received: Int32?
  private var handlers: [@Sendable (Int32) -> Void] = []
  private var childHandlers: [@Sendable () -> Void] = []
  private var listener: ThreadPool?
  private let wakeUp: (read: Int32, write: Int32)

  private init() {
    // Without a pipe `wakeUpDescriptor` is -1, which poll(2) ignores; `sleep` does not need it.
    wakeUp = Self.pipeEnds(nonBlockingWrite: false) ?? (-1, -1)
  }

  public var isRequested: Bool { lock.withLock { requested } }

  /// The first signal that asked for the stop (SIGTERM for `request()`), nil before one came.
  public var receivedSignal: Int32? { lock.withLock { received } }

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

  /// Starts listening for `stopping` and ignoring `ignored` (once; later calls return at once). Throws when the
  /// descriptors it needs cannot be had (`ulimit -n` too low): a tool that cannot hear SIGTERM must not start.
  public func listen() throws {
    try lock.withLock {
      guard listener == nil else { return }
      guard wakeUp.read >= 0, Self.arrivals.read >= 0 else { throw ResourceShortage.descriptors }
      let thread = ThreadPool(width: 1, stackSize: 256 * 1024)
      thread.submit { [self] in readArrivals() }
      listener = thread
      for number in Self.ignored { signal(number, SIG_IGN) }
      for number in Self.stopping { Self.catchSignal(number) }
      // Whoever started us may have left them blocked (a mask survives exec): then SIGTERM would never arrive.
      var unblocked = sigset_t()
      sigemptyset(&unblocked)
      for number in Self.stopping + Self.ignored { sigaddset(&unblocked, number) }
      pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
    }
  }

  /// Listens (as `listen`, a failure ignored: `runTool` reports it) and calls `handler` on a background thread for
  /// each signal received.
  public func install(handler: (@Sendable (Int32) -> Void)? = nil) {
    try? listen()
    if let handler { lock.withLock { handlers.append(handler) } }
  }

  /// Calls `handler` on the listener thread after each SIGCHLD (one or more children ended): for a process that
  /// reaps the children it inherits. SIGCHLD is not a stop.
  public func onChildExit(_ handler: @escaping @Sendable () -> Void) throws {
    try listen()
    lock.withLock { childHandlers.append(handler) }
    Self.catchSignal(SIGCHLD, flags: SA_RESTART | SA_NOCLDSTOP)
    var unblocked = sigset_t()
    sigemptyset(&unblocked)
    sigaddset(&unblocked, SIGCHLD)
    pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
  }

  /// For tests and for tools that stop themselves.
  public func request() { receive(SIGTERM) }

  private func receive(_ number: Int32) {
    let toCall = lock.withLock { () -> [@Sendable (Int32) -> Void] in
      if !requested {
        var byte: UInt8 = 1
        _ = write(wakeUp.write, &byte, 1)
        received = number
      }
      requested = true
      lock.broadcast()
      return handlers
    }
    for handler in toCall { handler(number) }
  }

  /// The listener thread: one byte per signal, for as long as the process lives.
  private func readArrivals() {
    var byte: UInt8 = 0
    while (try? FileDescriptorIO.retryingInterrupts("read") { read(Self.arrivals.read, &byte, 1) }) == 1 {
      if Int32(byte) == SIGCHLD {
        for handler in lock.withLock({ childHandlers }) { handler() }
      } else {
        receive(Int32(byte))
      }
    }
  }

  /// The pipe from the signal handler to the listener. Its write end does not block: a burst of signals that
  /// fills it loses only repeats of a stop already on its way.
  private static let arrivals: (read: Int32, write: Int32) = pipeEnds(nonBlockingWrite: true) ?? (-1, -1)

  private static func catchSignal(_ number: Int32, flags: Int32 = SA_RESTART) {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { number in
      let saved = errno  // the interrupted code may be about to read errno
      var byte = UInt8(truncatingIfNeeded: number)
      _ = write(ShutdownSignal.arrivals.write, &byte, 1)
      errno = saved
    }
    // Interrupted reads and writes resume; the tools' poll(2) loops retry EINTR (`FileDescriptorIO`).
    action.sa_flags = flags
    sigemptyset(&action.sa_mask)
    sigaction(number, &action, nil)
  }

  /// A close-on-exec pipe, nil when the process is out of descriptors.
  private static func pipeEnds(nonBlockingWrite: Bool) -> (read: Int32, write: Int32)? {
    StandardDescriptors.ensureOpen()  // or the pipe could become stdin
    var ends: [Int32] = [-1, -1]
    guard pipe(&ends) == 0 else { return nil }
    for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
    if nonBlockingWrite { _ = fcntl(ends[1], F_SETFL, fcntl(ends[1], F_GETFL) | O_NONBLOCK) }
    return (ends[0], ends[1])
  }
}

/// Stopped by SIGTERM/SIGINT/SIGHUP before the work was done: worth retrying (exit 75). The one error for it in
/// every tool; `detail` says what was and was not done ("before the input ended; the 3 messages read were confirmed").
public struct StoppedBySignal: ExitStatusProviding, CustomStringConvertible, Equatable {
  public let detail: String

  public init(_ detail: String = "before the work was done") { self.detail = detail }

  public var exitStatus: ExitStatus { .temporaryFailure }
  public var description: String { "stopped by a signal \(detail)" }

  /// A record loop whose stdin read as ended because the signal came.
  public static func beforeTheInputEnded(handled: Int) -> StoppedBySignal {
    StoppedBySignal("before the input ended (\(handled) record\(handled == 1 ? "" : "s") handled)")
  }
}
