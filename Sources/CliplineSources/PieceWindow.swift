import CliplineSystem
import Foundation

/// A remote object read through a bounded window of memory. The object is split into pieces; fetchers fill the
/// pieces readers will want next into buffers allocated once and reused, a few pieces ahead of each reader. A
/// piece every reader has left behind gives its buffer to the next piece, and is fetched again should a reader
/// come back to it. Nothing lands on disk, memory stays at `slotCount × pieceSize` whatever the object's size,
/// and the same pages serve the whole download (on a VM that hands freed memory back to its host, touching new
/// pages is what a download into a file costs most).
///
/// `condition` guards every stored `var`. A fetcher owns its slot's buffer while it fills it, and bytes below the
/// slot's `filled` mark are never written again, so a reader copies them out under the lock.
public final class PieceWindow: ArrivingBytes, @unchecked Sendable {
  public let name: String
  public let size: Int64
  public let pieceSize: Int64
  public let pieceCount: Int
  /// Pieces fetched ahead of each reader.
  public let lookahead: Int

  /// A piece a fetcher should fill: write its bytes with `write(_:at:to:)`, then call `finished(_:)`.
  public struct Fetch: Sendable {
    public let piece: Int
    public let range: Range<Int64>
    fileprivate let slot: Int
  }

  /// A piece's body had more or fewer bytes than its range: the server's answer is wrong (65), not late.
  public struct WrongPieceLength: ExitStatusProviding, CustomStringConvertible {
    public let range: Range<Int64>
    public let received: Int
    public var exitStatus: ExitStatus { .dataError }
    public var description: String {
      "bytes \(range.lowerBound)–\(range.upperBound - 1) came back as \(received) bytes"
    }
  }

  private struct Slot {
    let buffer: UnsafeMutableRawPointer
    var piece: Int?
    var filled = 0
    var fetching = false
    var lastUsed: UInt64 = 0
  }

  private let condition = NSCondition()
  private var slots: [Slot]
  private var slotOfPiece: [Int: Int] = [:]
  /// Each reader's position; `size` once a reader is done.
  private var cursors: [Int64]
  private var readersWaiting = 0
  private var tick: UInt64 = 0
  private var failure: Error?
  private var closed = false
  private var farthest: Int64 = 0
  private var fetchedOnce: [Bool]
  private var prefixPieces = 0
  private let onFarRead: (@Sendable (Int64) -> Void)?

  /// `readers` readers (0 is the one `ArrivingBytes.read` serves); `onFarRead` hears of a read that jumps ahead
  /// past what is being fetched (an index at the end), outside the lock.
  public init(
    name: String, size: Int64, pieceSize: Int64, lookahead: Int, readers: Int = 1,
    onFarRead: (@Sendable (Int64) -> Void)? = nil
  ) {
    self.name = name
    self.size = max(0, size)
    self.pieceSize = max(1, pieceSize)
    pieceCount = Int((self.size + self.pieceSize - 1) / self.pieceSize)
    self.lookahead = max(1, lookahead)
    let readers = max(1, readers)
    // Each reader keeps the piece behind it and `lookahead` ahead: a free buffer is always left for the others.
    let slotCount = min(pieceCount, readers * (self.lookahead + 2) + 1)
    let bufferSize = Int(min(self.pieceSize, max(1, self.size)))
    slots = (0..<slotCount).map { _ in
      Slot(buffer: UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 64))
    }
    cursors = Array(repeating: 0, count: readers)
    fetchedOnce = Array(repeating: false, count: pieceCount)
    self.onFarRead = onFarRead
  }

  deinit {
    for slot in slots { slot.buffer.deallocate() }
  }

  public var slotCount: Int { slots.count }

  // MARK: - Readers

  public func read(at offset: Int64, into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
    try read(at: offset, into: buffer, count: count, reader: 0)
  }

  /// Copies up to `count` bytes at `offset` for reader `reader`, waiting for the piece that holds them.
  public func read(at offset: Int64, into buffer: UnsafeMutableRawPointer, count: Int, reader: Int) throws -> Int {
    guard offset < size, count > 0 else { return 0 }
    let piece = Int(offset / pieceSize)
    let within = Int(offset - Int64(piece) * pieceSize)
    condition.lock()
    let jumped = move(reader, to: offset)
    if jumped, slotOfPiece[piece] == nil, let onFarRead {
      condition.unlock()
      onFarRead(offset)
      condition.lock()
    }
    defer { condition.unlock() }
    while true {
      if let index = slotOfPiece[piece], slots[index].filled > within {
        let copied = min(count, slots[index].filled - within)
        buffer.copyMemory(from: slots[index].buffer + within, byteCount: copied)
        tick += 1
        slots[index].lastUsed = tick
        farthest = max(farthest, offset + Int64(copied))
        return copied
      }
      if let failure { throw failure }
      if closed { throw DownloadCancelled() }
      readersWaiting += 1
      condition.wait()
      readersWaiting -= 1
    }
  }

  /// Reader `reader` needs nothing more: the pieces it kept may go.
  public func readerDone(_ reader: Int) {
    condition.withLock { _ = move(reader, to: size) }
  }

  public func waitForSize() throws -> Int64 { size }
  public var knownSize: Int64? { size }
  public var error: Error? { condition.withLock { failure } }
  public var farthestRead: Int64 { condition.withLock { farthest } }
  public var contiguousBytes: Int64 { condition.withLock { min(size, Int64(prefixPieces) * pieceSize) } }

  /// Sets a reader's position (under the lock); wakes the fetchers when it moved to another piece. Returns whether
  /// it jumped forward past the pieces being fetched for it.
  private func move(_ reader: Int, to offset: Int64) -> Bool {
    let before = cursors[reader] / pieceSize
    cursors[reader] = offset
    let now = offset / pieceSize
    guard now != before else { return false }
    condition.broadcast()
    return now > before + Int64(lookahead)
  }

  // MARK: - Fetchers

  /// The next piece to fetch and the buffer to fill, waiting until a reader needs one and a buffer is free; nil
  /// once the window is closed or has failed.
  public func nextFetch() -> Fetch? {
    condition.lock()
    defer { condition.unlock() }
    while true {
      if closed || failure != nil { return nil }
      if let piece = pieceToFetch(), let index = freeSlot() {
        if let old = slots[index].piece { slotOfPiece[old] = nil }
        slots[index].piece = piece
        slots[index].filled = 0
        slots[index].fetching = true
        slotOfPiece[piece] = index
        return Fetch(piece: piece, range: range(of: piece), slot: index)
      }
      condition.wait()
    }
  }

  /// Bytes of `fetch`'s piece that start `offset` bytes into it. A retried request starts over: bytes that are
  /// there already are skipped, not written again. Throws once the window is closed, so the request stops.
  public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int, to fetch: Fetch) throws {
    let end = offset + bytes.count
    guard end <= fetch.range.count else { throw WrongPieceLength(range: fetch.range, received: end) }
    let (already, buffer) = try condition.withLock { () throws -> (Int, UnsafeMutableRawPointer) in
      if closed { throw DownloadCancelled() }
      if let failure { throw failure }
      return (slots[fetch.slot].filled, slots[fetch.slot].buffer)
    }
    guard end > already, let base = bytes.baseAddress else { return }
    let skip = max(0, already - offset)
    (buffer + offset + skip).copyMemory(from: base + skip, byteCount: bytes.count - skip)
    condition.withLock {
      slots[fetch.slot].filled = end
      if readersWaiting > 0 { condition.broadcast() }
    }
  }

  /// The request for `fetch` ended well: every byte of the piece must be there.
  public func finished(_ fetch: Fetch) throws {
    try condition.withLock {
      let filled = slots[fetch.slot].filled
      guard filled == fetch.range.count else { throw WrongPieceLength(range: fetch.range, received: filled) }
      slots[fetch.slot].fetching = false
      fetchedOnce[fetch.piece] = true
      while prefixPieces < pieceCount, fetchedOnce[prefixPieces] { prefixPieces += 1 }
      condition.broadcast()
    }
  }

  /// The download stopped for good: readers waiting for missing bytes get `error`, fetchers stop.
  public func fail(_ error: Error) {
    condition.withLock {
      if failure == nil { failure = error }
      condition.broadcast()
    }
  }

  /// The readers are done: fetchers stop (a request under way ends at its next write), waiting readers fail.
  public func close() {
    condition.withLock {
      closed = true
      condition.broadcast()
    }
  }

  // MARK: - Choosing (under the lock)

  private func range(of piece: Int) -> Range<Int64> {
    Int64(piece) * pieceSize..<min(size, Int64(piece + 1) * pieceSize)
  }

  /// The nearest piece at or ahead of a reader that is neither there nor coming, reader 0 first.
  private func pieceToFetch() -> Int? {
    for step in 0..<lookahead {
      for cursor in cursors where cursor < size {
        let piece = Int(cursor / pieceSize) + step
        if piece < pieceCount, slotOfPiece[piece] == nil { return piece }
      }
    }
    return nil
  }

  /// An empty buffer, else the least recently read one that no reader keeps (the piece behind it and the
  /// `lookahead` ahead) and no fetcher fills.
  private func freeSlot() -> Int? {
    var best: Int?
    for (index, slot) in slots.enumerated() {
      guard let piece = slot.piece else { return index }
      if slot.fetching || isKept(piece) { continue }
      if best == nil || slot.lastUsed < slots[best!].lastUsed { best = index }
    }
    return best
  }

  private func isKept(_ piece: Int) -> Bool {
    cursors.contains { cursor in
      guard cursor < size else { return false }
      let current = Int(cursor / pieceSize)
      return piece >= current - 1 && piece < current + lookahead
    }
  }
}
