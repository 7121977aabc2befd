import CliplineSystem
import Foundation

/// A local file that a download is still writing, possibly out of order (parallel ranged GETs): which byte ranges
/// are complete, the total size once known, and how the download ended. A reader blocks on a condition variable
/// until the bytes it needs have arrived (never polls), and can ask the download to fetch an offset next.
///
/// `condition` guards every stored property but `path` (the read descriptor too; pread itself needs no lock).
public final class GrowingFile: ArrivingBytes, @unchecked Sendable {
  public let path: String
  public var name: String { path }
  /// What reads go through, opened at the first read (the download creates the file); closed with this object.
  private var reading: FileHandle?

  private let condition = NSCondition()
  /// Complete ranges, sorted and merged.
  private var complete: [Range<Int64>] = []
  private var size: Int64?
  private var finished = false
  private var failure: Error?
  private var onWanted: (@Sendable (Int64) -> Void)?
  private var farthest: Int64 = 0

  public init(path: String) { self.path = path }

  // MARK: - The download's side

  /// Called (outside the lock) when a reader waits for an offset that has not arrived, so a download that can
  /// fetch ranges out of order fetches that one next.
  public func onWantedOffset(_ handler: @escaping @Sendable (Int64) -> Void) {
    condition.withLock { onWanted = handler }
  }

  public func setSize(_ bytes: Int64) {
    condition.withLock {
      size = bytes
      condition.broadcast()
    }
  }

  public func markComplete(_ range: Range<Int64>) {
    guard !range.isEmpty else { return }
    condition.withLock {
      insert(range)
      condition.broadcast()
    }
  }

  /// Every byte has arrived: the size is now the file's, whatever was announced.
  public func finish() {
    condition.withLock {
      finished = true
      onWanted = nil  // nothing left to fetch; also drops what the handler holds (the download itself)
      if size == nil { size = complete.last?.upperBound ?? 0 }
      condition.broadcast()
    }
  }

  /// The download stopped for good: readers waiting for missing bytes get `error`.
  public func fail(_ error: Error) {
    condition.withLock {
      if failure == nil { failure = error }
      onWanted = nil
      condition.broadcast()
    }
  }

  // MARK: - The reader's side

  /// The download's error, once it failed.
  public var error: Error? { condition.withLock { failure } }

  public var isFinished: Bool { condition.withLock { finished } }

  /// Bytes from the start that have all arrived.
  public var contiguousBytes: Int64 { condition.withLock { prefixEnd } }

  /// The end of the farthest bytes a reader has read: near the end of the file right after opening, the demuxer
  /// went there first (an index at the end).
  public var farthestRead: Int64 { condition.withLock { farthest } }

  /// The total size, if the download has announced it.
  public var knownSize: Int64? { condition.withLock { size } }

  /// The total size, waiting for it if the download has not announced it yet.
  public func waitForSize() throws -> Int64 {
    condition.lock()
    defer { condition.unlock() }
    while true {
      if let size { return size }
      if let failure { throw failure }
      condition.wait()
    }
  }

  /// Waits until the byte at `offset` has arrived and returns how many bytes from `offset` (at most `count`) can
  /// be read now; 0 at the end of the file. Throws the download's error if it stopped before that byte arrived.
  public func waitForBytes(at offset: Int64, count: Int) throws -> Int {
    condition.lock()
    var asked = false
    while true {
      if let run = run(at: offset) {
        let available = min(Int64(count), run.upperBound - offset)
        farthest = max(farthest, offset + available)
        condition.unlock()
        return Int(available)
      }
      if let size, offset >= size {
        condition.unlock()
        return 0
      }
      if finished {  // the file ended short of `offset`
        condition.unlock()
        return 0
      }
      if let failure {
        condition.unlock()
        throw failure
      }
      if !asked {
        asked = true
        if let onWanted {
          condition.unlock()
          onWanted(offset)
          condition.lock()
          continue
        }
      }
      condition.wait()
    }
  }

  public func openForReading() throws { _ = try condition.withLock { try readDescriptor() } }

  public func read(at offset: Int64, into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
    let available = try waitForBytes(at: offset, count: count)
    guard available > 0 else { return 0 }
    let descriptor = try condition.withLock { try readDescriptor() }
    var done = 0
    while done < available {
      let got = try FileDescriptorIO.retryingInterrupts("pread") {
        pread(descriptor, buffer + done, available - done, off_t(offset) + off_t(done))
      }
      guard got > 0 else { throw FileSystemError("read what arrived of", path: path, errno: EIO) }
      done += got
    }
    return done
  }

  /// The descriptor reads go through (under the lock).
  private func readDescriptor() throws -> Int32 {
    if let reading { return reading.fileDescriptor }
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw FileSystemError("open", path: path) }
    reading = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    return descriptor
  }

  // MARK: - Ranges (under the lock)

  private var prefixEnd: Int64 {
    guard let first = complete.first, first.lowerBound == 0 else { return 0 }
    return first.upperBound
  }

  private func run(at offset: Int64) -> Range<Int64>? {
    var low = 0
    var high = complete.count
    while low < high {
      let middle = (low + high) / 2
      if complete[middle].upperBound <= offset { low = middle + 1 } else { high = middle }
    }
    guard low < complete.count, complete[low].contains(offset) else { return nil }
    return complete[low]
  }

  private func insert(_ range: Range<Int64>) {
    var merged = range
    var kept: [Range<Int64>] = []
    kept.reserveCapacity(complete.count + 1)
    var placed = false
    for existing in complete {
      if existing.upperBound < merged.lowerBound {
        kept.append(existing)
      } else if merged.upperBound < existing.lowerBound {
        if !placed {
          kept.append(merged)
          placed = true
        }
        kept.append(existing)
      } else {
        merged = min(existing.lowerBound, merged.lowerBound)..<max(existing.upperBound, merged.upperBound)
      }
    }
    if !placed { kept.append(merged) }
    complete = kept
  }
}
