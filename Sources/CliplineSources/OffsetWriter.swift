import CliplineSystem
import Foundation

/// Writes a response body at an offset of an existing file (one range of a parallel download) with pwrite: no copy
/// of the bytes on the way. With `gather`, libcurl's 16 KiB pieces are gathered into writes of that size, so that
/// parallel ranges of one file take its lock (and wake a reader) a sixteenth as often; with `lock`, the writers of
/// one file take turns in user space (sleeping) rather than spinning on the kernel's inode lock.
public final class OffsetWriter {
  private let descriptor: Int32
  private let path: String
  /// Where the bytes not yet written start.
  private var position: Int64
  private let gather: Int
  private var gathered: [UInt8] = []
  private let lock: NSLock?

  public init(path: String, offset: Int64, gather: Int = 0, lock: NSLock? = nil) {
    self.path = path
    descriptor = open(path, O_WRONLY | O_CLOEXEC)
    position = offset
    self.gather = gather
    self.lock = lock
    if gather > 0 { gathered.reserveCapacity(gather) }
  }

  deinit { if descriptor >= 0 { close(descriptor) } }

  /// Writes `bytes` (or gathers them); returns the range of the file written by this call, if any.
  @discardableResult
  public func write(_ bytes: UnsafeRawBufferPointer) throws -> Range<Int64>? {
    guard gather > 0 else { return try put(bytes) }
    if gathered.isEmpty && bytes.count >= gather { return try put(bytes) }
    var written: Range<Int64>?
    var rest = bytes[...]
    while !rest.isEmpty {
      let taken = rest.prefix(gather - gathered.count)
      gathered.append(contentsOf: UnsafeRawBufferPointer(rebasing: taken))
      rest = rest[taken.endIndex...]
      if gathered.count == gather, let flushed = try flush() {
        written = (written?.lowerBound ?? flushed.lowerBound)..<flushed.upperBound
      }
    }
    return written
  }

  /// Writes what was gathered; returns its range, nil if there was none.
  public func flush() throws -> Range<Int64>? {
    guard !gathered.isEmpty else { return nil }
    defer { gathered.removeAll(keepingCapacity: true) }
    return try gathered.withUnsafeBytes { try put($0) }
  }

  private func put(_ bytes: UnsafeRawBufferPointer) throws -> Range<Int64> {
    guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
    lock?.lock()
    defer { lock?.unlock() }
    var done = 0
    while done < bytes.count {
      let count = try FileDescriptorIO.retryingInterrupts("pwrite") {
        pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(position) + off_t(done))
      }
      guard count > 0 else { throw SystemCallError(call: "pwrite \(path)", code: EIO) }
      done += count
    }
    let written = position..<(position + Int64(bytes.count))
    position = written.upperBound
    return written
  }
}
