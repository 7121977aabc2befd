import CliplineSystem
import Foundation

/// Kills the handlers' process groups, grandchildren and all, when the consumer dies, even by `kill -9`.
///
/// `setpriv --pdeathsig` takes the handler itself along, but not what it started (`chunk | blob-put | …` under
/// `bash -c`): those would go on uploading and publishing for a message the broker hands to the next consumer.
/// A small `/bin/sh` beside the consumer reads `+GROUP` and `-GROUP` lines from a pipe whose only writer is the
/// consumer; when the consumer dies, the kernel closes that end, the shell reads end of file and sends SIGKILL to
/// every group still listed. It ignores the terminal's signals and needs nothing but a POSIX shell.
/// `lock` guards `descriptor` and every write to it (so two handlers' lines never interleave); the groups being
/// watched live only in the shell.
final class ProcessGroupWatchdog: @unchecked Sendable {
  static let script = """
    trap '' INT TERM HUP QUIT
    groups=" "
    while IFS= read -r line; do
      case $line in
        +*) groups="$groups${line#+} " ;;
        -*) g=${line#-}; case $groups in *" $g "*) groups="${groups%% "$g" *} ${groups#* "$g" }" ;; esac ;;
      esac
    done
    for g in $groups; do kill -KILL -"$g" 2>/dev/null; done
    """

  private let lock = NSLock()
  private var descriptor: Int32 = -1

  /// Started on first use, from under the handlers' spawn lock: no handler can inherit the pipe meanwhile.
  func watch(_ group: pid_t) { send("+\(group)\n") }

  /// The group ended (waited for); the watchdog forgets it.
  func release(_ group: pid_t) { send("-\(group)\n") }

  private func send(_ line: String) {
    lock.withLock {
      if descriptor < 0 { descriptor = Self.start() }
      guard descriptor >= 0 else { return }
      let bytes = Array(line.utf8)
      // A watchdog that is gone (killed by hand) only costs this guarantee; the handler runs on.
      _ = try? bytes.withUnsafeBytes { try FileDescriptorIO.writeAll(descriptor, $0) }
    }
  }

  /// Spawns the shell on the read end of a new pipe; returns the write end (close-on-exec), or -1.
  private static func start() -> Int32 {
    var ends: [Int32] = [0, 0]
    guard pipe(&ends) == 0 else { return -1 }
    _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
    _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, ends[0], 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    // Its own process group, so a Ctrl-C to the consumer's group does not reach it; a clean signal mask.
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK))
    posix_spawnattr_setpgroup(&attributes, 0)
    var mask = sigset_t()
    sigemptyset(&mask)
    posix_spawnattr_setsigmask(&attributes, &mask)
    let words: [String] = ["/bin/sh", "-c", script, "amqp-consume-watchdog"]
    let argv = words.map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, nil)
    close(ends[0])
    guard spawned == 0 else {
      close(ends[1])
      return -1
    }
    return ends[1]
  }
}
