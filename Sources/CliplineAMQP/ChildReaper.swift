internal import CCliplineLinux
import CliplineSystem
import Foundation

/// amqp-consume reaps what it inherits. As a container's PID 1, every orphan in the container becomes its child;
/// anywhere, it is a child subreaper, so what a handler left running in the background (`sleep 60 &`) comes back
/// to it rather than to init when the handler ends. Each of those children, once it exits, would stay a zombie
/// (a process-table slot, its pid) until someone waits for it. On each SIGCHLD this waits for every child that
/// nobody else waits for: the handlers are waited for by their own thread (`HandlerProcess`), which registers each
/// one here as it spawns it, under the same lock the reaper scans with, so no handler's exit status is taken.
/// `lock` guards `waitedFor`.
final class ChildReaper: @unchecked Sendable {
  static let shared = ChildReaper()

  private let lock = NSLock()
  private var waitedFor: Set<pid_t> = []
  private var started = false

  /// Becomes a child subreaper and starts reaping (once). Throws when the signal listener cannot start.
  func start() throws {
    let first = lock.withLock { () -> Bool in
      defer { started = true }
      return !started
    }
    guard first else { return }
    _ = clipline_become_child_subreaper()  // fails only on kernels before 3.4; PID 1 reaps without it
    try ShutdownSignal.shared.onChildExit { [self] in reapOrphans() }
    reapOrphans()  // what was inherited before SIGCHLD was caught
  }

  /// Runs `spawn` (a posix_spawn returning its status and filling the pid) and registers the child as waited for
  /// by the caller, with no reap in between. The caller calls `waited(for:)` once its waitpid returned.
  func spawn(_ spawn: (inout pid_t) -> Int32) -> (status: Int32, pid: pid_t) {
    lock.withLock {
      var pid: pid_t = 0
      let status = spawn(&pid)
      if status == 0 { waitedFor.insert(pid) }
      return (status, pid)
    }
  }

  func waited(for pid: pid_t) { lock.withLock { _ = waitedFor.remove(pid) } }

  /// Waits, without blocking, for every child that is not a registered one: an exited one is reaped, a running
  /// one is left alone.
  private func reapOrphans() {
    lock.withLock {
      for pid in Self.children() where !waitedFor.contains(pid) {
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
      }
    }
  }

  /// This process's children, from every thread's `/proc/self/task/*/children` (a child belongs to the thread that
  /// started it; an adopted one to the main thread).
  static func children() -> [pid_t] {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return tasks.flatMap { task -> [pid_t] in
      let text = (try? String(contentsOfFile: "/proc/self/task/\(task)/children", encoding: .utf8)) ?? ""
      return text.split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
  }
}
