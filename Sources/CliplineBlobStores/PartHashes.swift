import CliplineCrypto

/// The checksums of a growing file's parts 1…N (part `k` is the file's `start(k) ..< start(k + 1)`), taken from the
/// bytes as the writer hands them over, so that a part is read from the file only to be sent. A part whose bytes did
/// not all come front to back, in order (a hole, a write going back), gets none: it is hashed from the file instead.
// Used by the writer's thread only.
final class PartHashes {
  private let algorithm: Digest.Algorithm
  private let head: Int64
  private let partSize: Int64
  /// The part being hashed, its context (nil once its bytes broke order), and where its next byte must be.
  private var index = 0
  private var digest: Digest?
  private var position: Int64 = 0
  /// Whole parts hashed and not yet asked for.
  private var finished: [Int: [UInt8]] = [:]

  /// Part 1 starts at `head`; every part is `partSize` long but the last.
  init(algorithm: Digest.Algorithm, head: Int64, partSize: Int64) {
    self.algorithm = algorithm
    self.head = head
    self.partSize = partSize
  }

  func start(of part: Int) -> Int64 { head + Int64(part - 1) * partSize }

  /// The writer wrote `bytes` at `offset`.
  func take(_ bytes: UnsafeRawBufferPointer, at offset: Int64) {
    var offset = offset
    var rest = bytes
    if offset < head {
      let below = Int(min(Int64(rest.count), head - offset))
      rest = UnsafeRawBufferPointer(rebasing: rest[below...])
      offset += Int64(below)
    }
    while !rest.isEmpty {
      let part = Int((offset - head) / partSize) + 1
      if part != index { begin(part, at: offset) }
      if offset != position { digest = nil }
      let count = Int(min(Int64(rest.count), start(of: part + 1) - offset))
      digest?.update(UnsafeRawBufferPointer(rebasing: rest[..<count]))
      offset += Int64(count)
      position = offset
      rest = UnsafeRawBufferPointer(rebasing: rest[count...])
      if offset == start(of: part + 1), let whole = digest {
        finished[part] = whole.finish()
        digest = nil
      }
    }
  }

  /// A write reaching part `part`: hashed from its first byte on, or not at all. A part written again loses the
  /// checksum it had.
  private func begin(_ part: Int, at offset: Int64) {
    finished[part] = nil
    index = part
    digest = offset == start(of: part) ? try? Digest(algorithm) : nil
    position = offset
  }

  /// Frees the context now, on the thread that gives up, rather than wherever the last reference goes.
  func discard() {
    digest = nil
    finished = [:]
  }

  /// Part `part`'s checksum when it is `range` and all its bytes came in order; asked once per part.
  func checksum(of part: Int, range: Range<Int64>) -> [UInt8]? {
    if let whole = finished.removeValue(forKey: part) {
      return range == start(of: part)..<start(of: part + 1) ? whole : nil
    }
    guard part == index, range.lowerBound == start(of: part), position == range.upperBound, let digest else {
      return nil
    }
    self.digest = nil
    return digest.finish()
  }
}
