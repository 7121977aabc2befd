import CliplineRecords
import CliplineSystem
import Foundation

/// The per-message work directories of `amqp-consume`, each paired with a lock file (`DIR.lock`) that its
/// consumer holds (flock) for as long as the directory is in use. A consumer killed with -9 cannot remove its
/// directories, but the kernel drops its locks: the next consumer removes every directory whose lock is free, and
/// first kills any process of the dead consumer's handlers still running in it.
final class WorkDirectoryLedger: Sendable {
  static let prefix = "amqp-consume"
  private let base: String

  struct Entry {
    let path: String
    fileprivate let lock: Int32
  }

  init(base: String = Settings.environment("TMPDIR") ?? "/tmp") { self.base = base }

  /// A fresh directory (mode 0700) with its lock held. The lock file is locked under a temporary name and then
  /// renamed, so a sweeping consumer never sees an unlocked lock of a live one.
  func make() throws -> Entry {
    let path = try WorkDirectory.makeTemporaryDirectory(prefix: Self.prefix)
    let locking = path + ".locking"
    let lock = open(locking, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
    guard lock >= 0, flock(lock, LOCK_EX) == 0, rename(locking, path + ".lock") == 0 else {
      let failure = POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
      if lock >= 0 { close(lock) }
      unlink(locking)
      try? FileManager.default.removeItem(atPath: path)
      throw failure
    }
    return Entry(path: path, lock: lock)
  }

  /// Removes the directory, then its lock.
  func remove(_ entry: Entry) {
    try? FileManager.default.removeItem(atPath: entry.path)
    unlink(entry.path + ".lock")
    close(entry.lock)
  }

  /// Removes the directories whose owner is gone; returns their paths.
  @discardableResult
  func sweep() -> [String] {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: base) else { return [] }
    var removed: [String] = []
    for name in names where name.hasPrefix(Self.prefix + ".") && name.hasSuffix(".lock") {
      let lockPath = (base as NSString).appendingPathComponent(name)
      let lock = open(lockPath, O_RDONLY | O_CLOEXEC)
      guard lock >= 0 else { continue }
      defer { close(lock) }
      guard flock(lock, LOCK_EX | LOCK_NB) == 0 else { continue }  // its consumer is alive
      let path = String(lockPath.dropLast(".lock".count))
      Self.killProcesses(workingIn: path)
      try? FileManager.default.removeItem(atPath: path)
      unlink(lockPath)
      removed.append(path)
    }
    return removed
  }

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
