import CliplineRecords
import CliplineSystem
import CliplineTelemetry
import Foundation

/// One run of the handler command: no shell, its own process group (so a timeout or shutdown can kill
/// everything it started), the message body on stdin, our stdout, and its stderr relayed to ours
/// (`HandlerStderrRelay`) while the last few kilobytes are kept for the dead-letter headers.
///
/// `lock` guards `processGroup` and `killReason` (`run` on the pool's thread, `stop` from the consumer's thread and
/// the kill timer); `spawnLock` serialises the pipe-and-spawn sequence across every instance.
final class HandlerProcess: @unchecked Sendable {
  struct Result {
    /// The exit status, or 128 + signal when a signal ended it.
    let exitCode: Int32
    let signal: Int32?
    let timedOut: Bool
    let stoppedByUs: Bool
    let stderrTail: String
    let duration: Double
  }

  private let lock = NSLock()
  private var processGroup: pid_t = 0
  private var killReason: KillReason?

  enum KillReason { case timeout, shutdown }

  /// Takes every handler's process group along if the consumer dies.
  static let watchdog = ProcessGroupWatchdog()
  private static let spawnLock = NSLock()
  /// How long a handler has between SIGTERM and SIGKILL.
  static let killGrace = 5.0

  /// Runs to completion (blocking the calling thread; the stderr relay runs on one of `relays`). `timeout` counts
  /// from the start. When the handler exits, whatever it started and left in its process group goes too
  /// (`endGroup`), so its stderr closes and nothing of this message runs on after it is settled.
  func run(
    arguments: [String], environment: [String: String], stdin body: [UInt8], timeout: Double?,
    stderr relay: HandlerStderrRelay, relays: ThreadPool, report: HandlerReport? = nil
  ) throws -> Result {
    let started = Date()
    // The body is on stdin before the handler starts: a file (already unlinked), not a pipe we still write to.
    let input = try Self.stdinFile(holding: body, command: arguments[0])
    defer { close(input) }
    let (pid, stderrRead) = try Self.spawn(arguments, environment: environment, stdin: input, report: report)
    lock.withLock { processGroup = pid }
    let tail = RelayedTail()
    let handedOver = HandedOver(relay)
    relays.submit {
      tail.finish(handedOver.value.run(from: stderrRead))
      close(stderrRead)
    }
    var timer: DispatchWorkItem?
    if let timeout {
      let item = DispatchWorkItem { [weak self] in self?.stop(.timeout) }
      DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: item)
      timer = item
    }
    var status: Int32 = 0
    _ = try? FileDescriptorIO.retryingInterrupts("waitpid") { waitpid(pid, &status, 0) }
    ChildReaper.shared.waited(for: pid)
    timer?.cancel()
    Self.endGroup(pid)
    let reason = lock.withLock { () -> KillReason? in
      processGroup = 0
      return killReason
    }
    // WIFEXITED / WTERMSIG, written out: the macros do not import.
    let signal = status & 0x7f
    let exitCode = signal == 0 ? (status >> 8) & 0xff : 128 + signal
    return Result(
      exitCode: exitCode, signal: signal == 0 ? nil : signal, timedOut: reason == .timeout,
      stoppedByUs: reason == .shutdown, stderrTail: tail.wait(), duration: Date().timeIntervalSince(started))
  }

  /// Starts the handler in its own process group with `stdin` on 0 and a new pipe on 2; returns its pid and the
  /// pipe's read end. Any failure to start is a `HandlerStartFailure` with its errno.
  private static func spawn(
    _ arguments: [String], environment: [String: String], stdin input: Int32, report: HandlerReport?
  ) throws -> (pid: pid_t, stderr: Int32) {
    // pipe2(O_CLOEXEC) is not visible from Swift: pipe + FD_CLOEXEC under the spawn lock, so no other
    // handler is spawned between the two and inherits our pipe (it would hold our stderr open).
    spawnLock.lock()
    defer { spawnLock.unlock() }
    var stderrPipe: [Int32] = [0, 0]
    guard pipe(&stderrPipe) == 0 else { throw HandlerStartFailure(command: arguments[0], code: errno) }
    for descriptor in stderrPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
    keepDescriptorsFromChildren()
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, input, 0)
    posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
    var environment = environment
    if let report {
      posix_spawn_file_actions_adddup2(&actions, report.descriptor, HandlerReport.descriptorInChild)
      environment[ReportChannel.variable] = String(HandlerReport.descriptorInChild)
    }
    let attributes = SpawnAttributes()
    let command = parentDeathWrapper + arguments
    let argv = command.map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      for pointer in argv { free(pointer) }
      for pointer in envp { free(pointer) }
    }
    let (spawned, pid) = ChildReaper.shared.spawn { pid in
      posix_spawnp(&pid, command[0], &actions, &attributes.raw, argv, envp)
    }
    close(stderrPipe[1])
    guard spawned == 0 else {
      close(stderrPipe[0])
      throw HandlerStartFailure(command: arguments[0], code: spawned)
    }
    watchdog.watch(pid)
    return (pid, stderrPipe[0])
  }

  /// The handler has exited: SIGTERM to what is left of its process group (a `(sleep 77 &)`, a daemon it forgot),
  /// SIGKILL after `killGrace`. The watchdog keeps the group until then, in case we die meanwhile.
  private static func endGroup(_ group: pid_t) {
    guard kill(-group, SIGTERM) == 0 else {
      watchdog.release(group)  // ESRCH: nothing was left
      return
    }
    DispatchQueue.global().asyncAfter(deadline: .now() + killGrace) {
      kill(-group, SIGKILL)
      watchdog.release(group)
    }
  }

  /// SIGTERM to the whole process group, SIGKILL after `killGrace` if anything is left.
  func stop(_ reason: KillReason) {
    let group = lock.withLock { () -> pid_t in
      if processGroup > 0, killReason == nil { killReason = reason }
      return processGroup
    }
    guard group > 0 else { return }
    kill(-group, SIGTERM)
    DispatchQueue.global().asyncAfter(deadline: .now() + Self.killGrace) { [weak self] in
      let stillThere = self?.lock.withLock { self?.processGroup == group } ?? false
      if stillThere { kill(-group, SIGKILL) }
    }
  }

  /// The handler gets stdin, stdout and stderr, nothing else: no broker socket, no descriptor our own parent
  /// passed us (Foundation's Process watches one to learn when its child and every descendant are gone).
  private static func keepDescriptorsFromChildren() {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
    for name in names {
      guard let descriptor = Int32(name), descriptor > 2 else { continue }
      let flags = fcntl(descriptor, F_GETFD)
      if flags >= 0 && flags & FD_CLOEXEC == 0 { _ = fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) }
    }
  }

  /// The handler dies with its consumer, even a consumer killed with -9: util-linux's setpriv sets the
  /// parent-death signal (prctl PR_SET_PDEATHSIG) and execs the handler in the same process. posix_spawn cannot
  /// run code in the child, and a fork from a threaded Swift process may not either. Its own children are
  /// killed by `watchdog`, and by the next consumer's sweep (`WorkDirectoryLedger`) if that was killed too.
  static let parentDeathWrapper: [String] =
    access("/usr/bin/setpriv", X_OK) == 0 ? ["/usr/bin/setpriv", "--pdeathsig", "KILL", "--"] : []

  /// An unlinked temporary file holding `body`, positioned at its start, close-on-exec.
  private static func stdinFile(holding body: [UInt8], command: String) throws -> Int32 {
    var template = Array("\(WorkDirectory.temporaryBase)/amqp-consume-stdin.XXXXXX".utf8CString)
    let descriptor = mkstemp(&template)
    guard descriptor >= 0 else { throw HandlerStartFailure(command: command, code: errno) }
    _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)  // a handler spawned meanwhile is started with dup2 onto 0 only
    unlink(template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
    do {
      try body.withUnsafeBytes { try FileDescriptorIO.writeAll(descriptor, $0) }
      _ = try FileDescriptorIO.retryingInterrupts("lseek") { lseek(descriptor, 0, SEEK_SET) }
    } catch {
      close(descriptor)
      throw error
    }
    return descriptor
  }
}

/// The handler could not even start: not found, not executable, or for want of descriptors, memory or processes
/// on our side (`isOurShortage`), which says nothing about the message.
struct HandlerStartFailure: Error, CustomStringConvertible {
  let command: String
  let code: Int32

  var isOurShortage: Bool { ResourceShortage.of(errno: code) != nil || code == EAGAIN }

  var description: String {
    let why = ResourceShortage.of(errno: code)?.description ?? String(cString: strerror(code))
    return "cannot run \(command): \(why)"
  }
}

/// posix_spawn's attributes for a handler: its own process group; the signals we ignore or catch (SIGPIPE,
/// SIGUSR1, …, SIGTERM, …) back at their defaults; nothing blocked.
private final class SpawnAttributes {
  var raw = posix_spawnattr_t()

  init() {
    posix_spawnattr_init(&raw)
    posix_spawnattr_setflags(&raw, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    posix_spawnattr_setpgroup(&raw, 0)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for number in [SIGPIPE, SIGQUIT] + ShutdownSignal.stopping + ShutdownSignal.ignored {
      sigaddset(&defaults, number)
    }
    posix_spawnattr_setsigdefault(&raw, &defaults)
    var mask = sigset_t()
    sigemptyset(&mask)
    posix_spawnattr_setsigmask(&raw, &mask)
  }

  deinit { posix_spawnattr_destroy(&raw) }
}

/// A value given to another thread and never used again by the one that made it (the relay, which is not
/// Sendable because it holds a closure): only one thread ever uses it.
private final class HandedOver<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}

/// The stderr tail, handed from the relay's thread to the handler's once the relay has read to the end.
private final class RelayedTail: @unchecked Sendable {  // `text` is written once, before `done` is signalled
  private var text = ""
  private let done = DispatchSemaphore(value: 0)

  func finish(_ tail: String) {
    text = tail
    done.signal()
  }

  func wait() -> String {
    done.wait()
    return text
  }
}
