import CliplineRecords
import CliplineSystem
import Foundation

/// The per-message work directories of `amqp-consume`, each paired with a lock file (`DIR.lock`) that its
/// consumer holds (flock) for as long as the directory is in use. A consumer killed with -9 cannot remove its
/// directories, but the kernel drops its locks: the next consumer removes every directory whose lock is free, and
/// first kills any process of the dead consumer's handlers still running in it.
final class WorkDirectoryLedger: Sendable {
  static let prefix = "amqp-consume"
  private let directories: LockedDirectories

  typealias Entry = LockedDirectories.Entry

  init(base: String = WorkDirectory.temporaryBase) {
    directories = LockedDirectories(prefix: Self.prefix, base: base)
  }

  /// A fresh directory (mode 0700) with its lock held.
  func make() throws -> Entry { try directories.make() }

  /// Removes the directory, then its lock.
  func remove(_ entry: Entry) { directories.remove(entry) }

  /// Removes the directories whose owner is gone, first killing what still runs in them; returns their paths.
  @discardableResult
  func sweep() -> [String] { directories.sweep { Self.killProcesses(workingIn: $0) } }

  /// Handlers and their children carry `CLIPLINE_WORK_DIR=path` in their environment: those still running after
  /// their consumer died are orphans of that message (the parent-death signal reaches the handler itself only).
  static func killProcesses(workingIn path: String) {
    let marker = Array("\(WorkDirectory.environmentVariable)=\(path)".utf8) + [0]
    guard let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return }
    for name in pids {
      guard let pid = Int32(name), pid != getpid(),
        let environment = FileManager.default.contents(atPath: "/proc/\(name)/environ")
      else { continue }
      let bytes = [UInt8](environment)
      if bytes.starts(with: marker) || bytes.firstRange(of: [0] + marker) != nil { kill(pid, SIGKILL) }
    }
  }
}
