import Foundation

/// Temporary directories (`BASE/PREFIX.XXXXXX`, mode 0700), each paired with a lock file (`DIR.lock`) that its
/// process holds (flock) for as long as the directory is in use. A process killed with -9 cannot remove its
/// directories, but the kernel drops its locks: the next process of the same kind removes every directory of that
/// prefix whose lock is free (`sweep`).
public struct LockedDirectories: Sendable {
  public let prefix: String
  public let base: String

  /// A directory in use; its lock is held until `remove` (or the process ends).
  public struct Entry: Sendable {
    public let path: String
    fileprivate let lock: Int32
  }

  public init(prefix: String, base: String = WorkDirectory.temporaryBase) {
    self.prefix = prefix
    self.base = base
  }

  /// A fresh directory with its lock held. The lock file is locked under a temporary name and then renamed, so a
  /// sweeping process never sees an unlocked lock of a live one.
  public func make() throws -> Entry {
    let path = try WorkDirectory.makeTemporaryDirectory(prefix: prefix, in: base)
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
  public func remove(_ entry: Entry) {
    try? FileManager.default.removeItem(atPath: entry.path)
    unlink(entry.path + ".lock")
    close(entry.lock)
  }

  /// Removes the directories whose owner is gone, calling `beforeRemoving` with each path first (with its lock
  /// held); returns their paths.
  @discardableResult
  public func sweep(beforeRemoving: (String) -> Void = { _ in }) -> [String] {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: base) else { return [] }
    var removed: [String] = []
    for name in names where name.hasPrefix(prefix + ".") && name.hasSuffix(".lock") {
      let lockPath = (base as NSString).appendingPathComponent(name)
      let lock = open(lockPath, O_RDONLY | O_CLOEXEC)
      guard lock >= 0 else { continue }
      defer { close(lock) }
      guard flock(lock, LOCK_EX | LOCK_NB) == 0 else { continue }  // its process is alive
      let path = String(lockPath.dropLast(".lock".count))
      beforeRemoving(path)
      try? FileManager.default.removeItem(atPath: path)
      unlink(lockPath)
      removed.append(path)
    }
    return removed
  }
}
