/// Moves an MP4's index (`moov`) in front of its media (`mdat`), as `-movflags +faststart` does, but as a plan for
/// the one sequential write that also hashes the file: the muxer's own faststart rewrites the whole file in a second
/// pass after the trailer, which a hash taken as the bytes are written cannot follow. Like qt-faststart, it adds the
/// index's size to every chunk offset (`stco`, `co64`); nothing else in a plain (unfragmented) MP4 points into `mdat`.
struct MP4IndexMove {
  /// The final file: `head` (ftyp, …), then `index`, then `media`, read from the written file's byte ranges.
  let head: Range<Int64>
  let index: [UInt8]
  let media: Range<Int64>

  /// The plan for a file whose last top-level box is `moov` and which holds an `mdat` before it; nil otherwise,
  /// or when a 32-bit chunk offset would overflow (then the file stays as it is, index at the end).
  static func plan(size: Int64, read: (Int64, Int) throws -> [UInt8]) throws -> MP4IndexMove? {
    var offset: Int64 = 0
    var mdat: Int64?
    var moov: Range<Int64>?
    while offset + 8 <= size {
      let header = try read(offset, 16)
      guard header.count >= 8 else { return nil }
      var length = Int64(bigEndian(header, 0, 4))
      let type = String(decoding: header[4..<8], as: UTF8.self)
      if length == 1 {
        guard header.count >= 16 else { return nil }
        length = Int64(bigEndian(header, 8, 8))
      } else if length == 0 {
        length = size - offset
      }
      guard length >= 8, offset + length <= size else { return nil }
      if type == "mdat", mdat == nil { mdat = offset }
      if type == "moov" { moov = offset..<(offset + length) }
      offset += length
    }
    guard let mdat, let moov, moov.upperBound == size, mdat < moov.lowerBound else { return nil }
    var index = try read(moov.lowerBound, Int(moov.count))
    guard index.count == moov.count, shiftChunkOffsets(&index, in: 8..<index.count, by: UInt64(moov.count)) else {
      return nil
    }
    return MP4IndexMove(head: 0..<mdat, index: index, media: mdat..<moov.lowerBound)
  }

  private static let containers: Set<String> = ["moov", "trak", "mdia", "minf", "stbl"]

  /// Adds `shift` to every entry of every stco/co64 box inside `range`; false if an entry would overflow.
  private static func shiftChunkOffsets(_ bytes: inout [UInt8], in range: Range<Int>, by shift: UInt64) -> Bool {
    var offset = range.lowerBound
    while offset + 8 <= range.upperBound {
      let length = Int(bigEndian(bytes, offset, 4))
      guard length >= 8, offset + length <= range.upperBound else { return false }
      let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
      if containers.contains(type) {
        guard shiftChunkOffsets(&bytes, in: (offset + 8)..<(offset + length), by: shift) else { return false }
      } else if type == "stco" || type == "co64" {
        let width = type == "stco" ? 4 : 8
        guard length >= 16 else { return false }
        let count = Int(bigEndian(bytes, offset + 12, 4))
        guard 16 + count * width <= length else { return false }
        for entry in 0..<count {
          let position = offset + 16 + entry * width
          let (moved, overflow) = bigEndian(bytes, position, width).addingReportingOverflow(shift)
          guard !overflow, width == 8 || moved <= UInt64(UInt32.max) else { return false }
          for byte in 0..<width {
            bytes[position + byte] = UInt8(truncatingIfNeeded: moved >> (8 * UInt64(width - 1 - byte)))
          }
        }
      }
      offset += length
    }
    return true
  }

  private static func bigEndian(_ bytes: [UInt8], _ start: Int, _ count: Int) -> UInt64 {
    var value: UInt64 = 0
    for index in start..<(start + count) { value = value << 8 | UInt64(bytes[index]) }
    return value
  }
}
