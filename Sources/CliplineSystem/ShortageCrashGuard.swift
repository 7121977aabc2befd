import Foundation

/// The last line of defence of "a failed allocation or descriptor is an error with a sentence, never a signal":
/// Swift stops the process when an allocation fails (its runtime cannot throw), and libdispatch traps when it cannot
/// get a descriptor. When SIGSEGV, SIGBUS, SIGILL, SIGTRAP or SIGABRT comes while the process is out of descriptors
/// (a dup(2) fails with EMFILE) or out of address space under `ulimit -v` (an 8 MiB mapping fails), the handler
/// writes the sentence prepared at start-up and exits 75. Any other crash goes on to the handler that was there
/// before (Swift's backtracer) or the default action, as if this were not installed.
///
/// The handler runs after the crash: it uses only async-signal-safe calls (dup, close, getrlimit, mmap, munmap,
/// write, sigaction, _exit) and reads only `state`, which is filled before the handlers are installed and never
/// changed after.
public enum ShortageCrashGuard {
  static let signals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT]

  struct State {
    var descriptors: UnsafeMutableRawBufferPointer
    var memory: UnsafeMutableRawBufferPointer
    /// The action each of `signals` had before, by signal number.
    var previous: [sigaction]
  }

  /// Written once by `install`, before any handler that reads it exists.
  nonisolated(unsafe) private static var state: UnsafeMutablePointer<State>?
  private static let lock = NSLock()

  /// Installs the handlers (once per process) with the two lines to write: out of descriptors, out of memory.
  public static func install(descriptorsLine: String, memoryLine: String) {
    lock.withLock {
      guard state == nil else { return }
      let prepared = UnsafeMutablePointer<State>.allocate(capacity: 1)
      prepared.initialize(
        to: State(
          descriptors: copy(descriptorsLine), memory: copy(memoryLine),
          previous: Array(repeating: sigaction(), count: Int(SIGSYS) + 1)))
      for number in signals {
        var action = sigaction()
        action.__sigaction_handler.sa_sigaction = { number, information, context in
          ShortageCrashGuard.handle(number, information, context)
        }
        action.sa_flags = SA_SIGINFO | SA_ONSTACK
        sigemptyset(&action.sa_mask)
        sigaction(number, &action, &prepared.pointee.previous[Int(number)])
      }
      state = prepared
    }
  }

  private static func copy(_ line: String) -> UnsafeMutableRawBufferPointer {
    let bytes = Array(line.utf8)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
    buffer.copyBytes(from: bytes)
    return buffer
  }

  private static func handle(
    _ number: Int32, _ information: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?
  ) {
    guard let state else { return }
    if outOfDescriptors() { exitSaying(state.pointee.descriptors) }
    if outOfAddressSpace() { exitSaying(state.pointee.memory) }
    var previous = state.pointee.previous[Int(number)]
    if previous.sa_flags & SA_SIGINFO != 0, let chained = previous.__sigaction_handler.sa_sigaction {
      chained(number, information, context)
      return
    }
    // SIG_DFL (or a plain handler): put it back; the faulting instruction runs again, or abort(3) raises again.
    sigaction(number, &previous, nil)
  }

  private static func exitSaying(_ line: UnsafeMutableRawBufferPointer) -> Never {
    _ = write(STDERR_FILENO, line.baseAddress, line.count)
    _exit(ExitStatus.temporaryFailure.rawValue)
  }

  private static func outOfDescriptors() -> Bool {
    let probe = dup(STDERR_FILENO)
    if probe >= 0 {
      close(probe)
      return false
    }
    return errno == EMFILE || errno == ENFILE
  }

  /// Under a finite RLIMIT_AS, not even 8 MiB of address space (a thread's stack) is left.
  private static func outOfAddressSpace() -> Bool {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else { return false }
    let size = 8 << 20
    let probe = mmap(nil, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
    if probe == MAP_FAILED { return true }
    munmap(probe, size)
    return false
  }
}
