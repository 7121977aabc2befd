import CliplineHashing
import CliplineSystem
import Foundation

/// What a finished output file is: its size and SHA-256, computed while its bytes went to disk.
public struct WrittenFile: Sendable, Equatable {
  public let bytes: Int64
  public let sha256: [UInt8]
}

/// The file a muxer writes. The MP4 muxer seeks back to patch sizes and writes its index last, so the final byte
/// order is only known at the trailer: the bytes gather in memory, then reach the disk in one sequential pass
/// that hashes them on the way (moving an MP4's index to the front in that same pass, see MP4IndexMove). Nothing
/// is read back from the disk. An output larger than `memoryLimit` gathers in an unlinked scratch file beside it.
final class HashedOutputFile {
  /// Per output; `chunk` has at most two open (the one closing and the next), so a 60 s 1080p chunk stays in memory.
  static let memoryLimit = 256 << 20

  let path: String
  private let descriptor: Int32
  private let movesIndexToFront: Bool
  private let memoryLimit: Int
  private var memory = OutputBuffers.take()
  /// The scratch file, once the output outgrew memory.
  private var spill: Int32?
  private(set) var size: Int64 = 0
  /// The first error a callback met, for the FFmpeg call that reported only "I/O error".
  var failure: Error?

  /// - Parameter movesIndexToFront: the output is an MP4 whose index is to lead (`+faststart`).
  init(path: String, movesIndexToFront: Bool, memoryLimit: Int = HashedOutputFile.memoryLimit) throws {
    descriptor = try HashedOutputFile.create(path)
    self.path = path
    self.movesIndexToFront = movesIndexToFront
    self.memoryLimit = memoryLimit
  }

  /// Creates (truncates) the file now, so a path that cannot be written fails before any work is done.
  private static func create(_ path: String) throws -> Int32 {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw FileSystemError("create", path: path) }
    return descriptor
  }

  deinit {
    OutputBuffers.give(&memory)
    close(descriptor)
    if let spill { close(spill) }
  }

  func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
    let end = offset + Int64(bytes.count)
    if spill == nil && end > memoryLimit { try moveToScratchFile() }
    if let spill {
      try HashedOutputFile.write(bytes, to: spill, at: offset, path: path)
    } else {
      let start = Int(offset)
      if memory.count < start { memory.append(contentsOf: repeatElement(0, count: start - memory.count)) }
      let overlap = min(bytes.count, memory.count - start)
      if overlap > 0 {
        memory.withUnsafeMutableBytes { target in
          (target.baseAddress! + start).copyMemory(from: bytes.baseAddress!, byteCount: overlap)
        }
      }
      if overlap < bytes.count { memory.append(contentsOf: bytes[overlap...]) }
    }
    size = max(size, end)
  }

  private func moveToScratchFile() throws {
    let scratch = path + ".partial"
    let opened = open(scratch, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard opened >= 0 else { throw FileSystemError("create", path: scratch) }
    unlink(scratch)  // anonymous from now on: it goes away with the descriptor, whatever happens
    spill = opened
    try memory.withUnsafeBytes { try HashedOutputFile.write($0, to: opened, at: 0, path: path) }
    OutputBuffers.give(&memory)
  }

  /// Copies bytes at `offset` into `buffer`; 0 at the end.
  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
    guard offset < size else { return 0 }
    let count = Int(min(Int64(buffer.count), size - offset))
    if let spill {
      return try HashedOutputFile.onPath(path, "read") {
        try FileDescriptorIO.retryingInterrupts("pread") { pread(spill, buffer.baseAddress, count, off_t(offset)) }
      }
    }
    memory.withUnsafeBytes { source in
      buffer.baseAddress!.copyMemory(from: source.baseAddress! + Int(offset), byteCount: count)
    }
    return count
  }

  private func readBytes(_ offset: Int64, _ count: Int) throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    let read = try bytes.withUnsafeMutableBytes { try self.read(into: $0, at: offset) }
    return Array(bytes.prefix(read))
  }

  /// Writes the file in its final order, hashing it in the same pass.
  func finish() throws -> WrittenFile {
    let digest = try Digest(.sha256)
    var written: Int64 = 0
    func emit(_ piece: UnsafeRawBufferPointer) throws {
      digest.update(piece)
      try HashedOutputFile.write(piece, to: descriptor, at: written, path: path)
      written += Int64(piece.count)
    }
    /// From the scratch file, a piece at a time.
    func emit(range: Range<Int64>) throws {
      var offset = range.lowerBound
      while offset < range.upperBound {
        let piece = try readBytes(offset, Int(min(1 << 20, range.upperBound - offset)))
        guard !piece.isEmpty else { throw FileSystemError("read", path: path, errno: EIO) }
        try piece.withUnsafeBytes { try emit($0) }
        offset += Int64(piece.count)
      }
    }
    let move = movesIndexToFront ? try MP4IndexMove.plan(size: size, read: readBytes) : nil
    if spill == nil {
      // In memory: the hash (on a pool thread) and the write read the same bytes, on two cores at once.
      let index = move?.index ?? []
      let ranges = move.map { [$0.head, $0.media] } ?? [0..<size]
      try index.withUnsafeBytes { indexBytes in
        try memory.withUnsafeBytes { all in
          func slice(_ range: Range<Int64>) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: all[Int(range.lowerBound)..<Int(range.upperBound)])
          }
          let parts = move == nil ? [slice(ranges[0])] : [slice(ranges[0]), indexBytes, slice(ranges[1])]
          try HashingLoan(parts: parts, digest: digest).hash {
            var at: Int64 = 0
            for part in parts {
              try HashedOutputFile.write(part, to: descriptor, at: at, path: path)
              at += Int64(part.count)
            }
          }
          written = Int64(parts.reduce(0) { $0 + $1.count })
        }
      }
    } else if let move {
      try emit(range: move.head)
      try move.index.withUnsafeBytes { try emit($0) }
      try emit(range: move.media)
    } else {
      try emit(range: 0..<size)
    }
    OutputBuffers.give(&memory)
    return WrittenFile(bytes: written, sha256: digest.finish())
  }

  /// Deletes the file (an abandoned output).
  func discard() {
    OutputBuffers.give(&memory)
    unlink(path)
  }

  private static func write(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32, at offset: Int64, path: String)
    throws
  {
    var done = 0
    while done < bytes.count {
      done += try onPath(path, "write") {
        try FileDescriptorIO.retryingInterrupts("pwrite") {
          pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
        }
      }
    }
  }

  /// A failed call, as a sentence that names the file.
  private static func onPath<Result>(_ path: String, _ operation: String, _ body: () throws -> Result) throws -> Result
  {
    do {
      return try body()
    } catch let failure as SystemCallError {
      throw FileSystemError(operation, path: path, errno: failure.code)
    }
  }
}

/// The bytes of an in-memory output and the digest they go into, lent to a hashing thread while the writer's
/// thread writes the same bytes. `@unchecked Sendable` because it holds pointers: `hash` is the only use, and it
/// returns only after the hashing thread is done (also when `alongside` throws), so nothing outlives the
/// `withUnsafeBytes` calls that keep the bytes alive; both threads only read the bytes, and only the hashing
/// thread touches `digest` until then.
private struct HashingLoan: @unchecked Sendable {
  let parts: [UnsafeRawBufferPointer]
  let digest: Digest

  /// Hashes `parts` into `digest` on a thread of its own while `alongside` runs on this one.
  func hash(alongside: () throws -> Void) rethrows {
    let hashing = ThreadPool(width: 1)
    hashing.submit { for part in self.parts { self.digest.update(part) } }
    defer { hashing.waitUntilIdle() }
    try alongside()
  }
}

/// Output buffers kept for the next output: a fresh 60 MB buffer per chunk costs a page fault every 4 KiB
/// (and a copy at each doubling); a kept one is already mapped.
enum OutputBuffers {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var kept: [[UInt8]] = []

  /// A kept buffer, else a new one with room for a typical chunk reserved (address space only until it is used),
  /// so it does not grow by copying.
  static func take() -> [UInt8] {
    if let buffer = lock.withLock({ kept.popLast() }) { return buffer }
    var buffer: [UInt8] = []
    buffer.reserveCapacity(64 << 20)
    return buffer
  }

  /// Empties `buffer` and keeps its memory for the next output (at most two, as many as `chunk` has open).
  static func give(_ buffer: inout [UInt8]) {
    guard buffer.capacity > 0 else { return }
    var released: [UInt8] = []
    swap(&released, &buffer)
    released.removeAll(keepingCapacity: true)
    lock.withLock { if kept.count < 2 { kept.append(released) } }
  }
}
