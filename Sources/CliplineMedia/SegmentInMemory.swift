import CliplineCrypto
import CliplineSystem
import Foundation

/// Where `chunk --to` cuts: segments held in memory instead of files, each handed to its upload and then given
/// back. Buffers are kept for the next segments (`keeps` of them), so memory is touched once for the whole run:
/// on this kind of VM first-touching fresh pages costs more than the copy, and files cost that at every chunk.
public final class SegmentMemory: @unchecked Sendable {  // `lock` guards `spare`
  /// The largest segment held in memory.
  public let limit: Int
  private let keeps: Int
  private let lock = NSLock()
  private var spare: [UnsafeMutableRawBufferPointer] = []

  public init(limit: Int, keeps: Int = 3) {
    self.limit = limit
    self.keeps = keeps
  }

  deinit { for buffer in spare { buffer.deallocate() } }

  /// The largest spare buffer, or nil.
  func take() -> UnsafeMutableRawBufferPointer? {
    lock.withLock {
      guard let largest = spare.indices.max(by: { spare[$0].count < spare[$1].count }) else { return nil }
      return spare.remove(at: largest)
    }
  }

  /// A buffer no longer in use: kept for a later segment, or freed.
  func giveBack(_ buffer: UnsafeMutableRawBufferPointer) {
    let kept = lock.withLock {
      guard spare.count < keeps else { return false }
      spare.append(buffer)
      return true
    }
    if !kept { buffer.deallocate() }
  }
}

/// One segment muxed into memory. The muxer writes where it likes (it patches sizes and writes its index last);
/// `finish()` plans the index move (MP4IndexMove) but moves nothing, and hashes the bytes in their final order,
/// head, index, media, the order in which `withPieces` hands them to the upload.
public final class SegmentInMemory: OutputSink, HeldBytes, @unchecked Sendable {  // used by one thread at a time
  public let path: String
  private let memory: SegmentMemory
  private let movesIndexToFront: Bool
  private var buffer: UnsafeMutableRawBufferPointer
  private(set) var size: Int64 = 0
  private var move: MP4IndexMove?
  var failure: Error?
  /// The SHA-256 of the finished segment's bytes in their final order.
  public private(set) var sha256: [UInt8] = []

  init(label: String, memory: SegmentMemory, movesIndexToFront: Bool) {
    path = label
    self.memory = memory
    self.movesIndexToFront = movesIndexToFront
    buffer = memory.take() ?? UnsafeMutableRawBufferPointer(start: nil, count: 0)
  }

  deinit { release() }

  /// The bytes of the finished segment.
  public var byteCount: Int64 { size }

  func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
    let end = Int(offset) + bytes.count
    if end > buffer.count { try grow(to: end) }
    guard bytes.count > 0 else { return }
    (buffer.baseAddress! + Int(offset)).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
    size = max(size, Int64(end))
  }

  private func grow(to needed: Int) throws {
    guard needed <= memory.limit else { throw SegmentTooLarge(label: path, limit: memory.limit) }
    let capacity = min(memory.limit, max(needed, buffer.count * 2, 64 << 20))
    let larger = try LargeBuffer.allocate(byteCount: capacity)
    if size > 0 { larger.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: Int(size)) }
    if buffer.baseAddress != nil { buffer.deallocate() }
    buffer = larger
  }

  func read(into target: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
    guard offset < size else { return 0 }
    let count = min(target.count, Int(size - offset))
    target.baseAddress!.copyMemory(from: buffer.baseAddress! + Int(offset), byteCount: count)
    return count
  }

  /// Plans the final order and hashes the bytes in it (the upload sends that digest as their checksum).
  func finish() throws -> WrittenFile {
    if movesIndexToFront {
      move = try MP4IndexMove.plan(size: size) { offset, count in
        let available = max(0, min(count, Int(size - offset)))
        return Array(UnsafeRawBufferPointer(rebasing: buffer[Int(offset)..<(Int(offset) + available)]))
      }
    }
    let digest = try Digest(.sha256)
    withPieces { pieces in for piece in pieces { digest.update(piece) } }
    sha256 = digest.finish()
    return WrittenFile(bytes: size, sha256: sha256)
  }

  /// The segment's bytes in their final order as the pieces they are in memory: the head, the moved index and the
  /// media, or the whole when the index stays where it is. Valid until `release()`.
  public func withPieces<Result>(_ body: ([UnsafeRawBufferPointer]) throws -> Result) rethrows -> Result {
    let all = UnsafeRawBufferPointer(buffer)
    func range(_ range: Range<Int64>) -> UnsafeRawBufferPointer {
      UnsafeRawBufferPointer(rebasing: all[Int(range.lowerBound)..<Int(range.upperBound)])
    }
    guard let move else { return try body(size > 0 ? [range(0..<size)] : []) }
    return try move.index.withUnsafeBytes { index in try body([range(move.head), index, range(move.media)]) }
  }

  /// Gives the memory back for the next segment (also what going away does).
  public func release() {
    guard buffer.baseAddress != nil else { return }
    memory.giveBack(buffer)
    buffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    size = 0
  }

  func discard() { release() }
}

/// A segment outgrew the memory `chunk --to` holds one in.
public struct SegmentTooLarge: Error, CustomStringConvertible, ExitStatusProviding {
  public let label: String
  public let limit: Int
  public var description: String {
    "\(label) is larger than the \(limit >> 20) MiB a chunk may take in memory (--memory-limit): "
      + "cut shorter chunks, raise the limit, or leave out --to to write chunk files"
  }
  public var exitStatus: ExitStatus { .dataError }
}
