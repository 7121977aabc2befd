import Foundation

/// Scratch files kept for the next one instead of deleted (`chunk --to`'s chunk files, each gone once stored): a
/// file written over pages already in the page cache costs the kernel about a third less than a new one (no pages
/// and blocks to allocate, none to free at unlink). At most `limit` are kept, as `.spare.N` beside the file they came
/// from; `removeAll()` deletes them, which the process that kept them must call before it ends.
// `lock` guards `spares` and the renames: files are set aside from upload threads and reused on the cutting thread.
public final class RecycledFiles: @unchecked Sendable {
  private let limit: Int
  private let lock = NSLock()
  private var spares: [String] = []
  private var made = 0

  public init(limit: Int) { self.limit = limit }

  /// Puts a spare from `path`'s directory at `path` (replacing what is there), to be written over rather than
  /// truncated; nothing when there is none.
  public func reuse(at path: String) {
    let directory = (path as NSString).deletingLastPathComponent
    lock.withLock {
      guard let index = spares.firstIndex(where: { ($0 as NSString).deletingLastPathComponent == directory }) else {
        return
      }
      let spare = spares.remove(at: index)
      if rename(spare, path) != 0 { unlink(spare) }
    }
  }

  /// Keeps `path` as a spare, or deletes it when `limit` are kept already (or it cannot be renamed).
  public func setAside(_ path: String) {
    lock.withLock {
      made += 1
      let spare = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(".spare.\(made)")
      if spares.count < limit, rename(path, spare) == 0 {
        spares.append(spare)
      } else {
        unlink(path)
      }
    }
  }

  /// Deletes every spare.
  public func removeAll() {
    let left = lock.withLock {
      defer { spares = [] }
      return spares
    }
    for spare in left { unlink(spare) }
  }
}
