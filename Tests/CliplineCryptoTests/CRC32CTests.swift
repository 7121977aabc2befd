import CliplineCrypto
import XCTest

/// CRC-32C against RFC 3720's vectors (appendix B.4) and the check value of "123456789"; the CPU's instruction
/// against the table on every alignment and length around its eight-byte words and its three-lane runs.
final class CRC32CTests: XCTestCase {
  func testRFC3720Vectors() {
    let command: [UInt8] = [
      0x01, 0xC0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x14, 0, 0, 0, 0, 0, 0x04, 0, 0, 0, 0, 0x14, 0, 0, 0, 0x18,
      0x28, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0,
    ]
    let vectors: [([UInt8], UInt32)] = [
      ([UInt8](repeating: 0, count: 32), 0x8A91_36AA),
      ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
      ((0..<32).map { UInt8($0) }, 0x46DD_794E),
      ((0..<32).reversed().map { UInt8($0) }, 0x113F_DB5C),
      (command, 0xD996_3A56),
      (Array("123456789".utf8), 0xE306_9283),
    ]
    for (bytes, expected) in vectors {
      XCTAssertEqual(CRC32C.checksum(bytes), expected, "\(bytes.prefix(4))…")
      XCTAssertEqual(bytes.withUnsafeBytes { CRC32C.byTable($0) }, expected)
    }
    XCTAssertEqual(Digest.crc32c(Array("123456789".utf8)), [0xE3, 0x06, 0x92, 0x83], "big-endian, as S3 sends it")
  }

  func testStreamingAndEveryAlignmentAgreeWithTheTable() throws {
    let bytes = (0..<4099).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ $0 >> 7) }
    try bytes.withUnsafeBytes { all in
      for start in 0..<9 {
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 63, 4090] {
          let piece = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
          XCTAssertEqual(CRC32C.checksum(piece), CRC32C.byTable(piece), "from \(start), \(length) bytes")
        }
      }
      let digest = try Digest(.crc32c)
      for start in stride(from: 0, to: all.count, by: 1000) {
        digest.update(UnsafeRawBufferPointer(rebasing: all[start..<min(start + 1000, all.count)]))
      }
      XCTAssertEqual(digest.finish(), CRC32C.bytes(CRC32C.byTable(all)), "pieces continue one another")
    }
  }

  /// Runs of three 8 KiB lanes go through the instruction three at a time and are joined by a shift table: lengths
  /// at, just under and over a run's edges, from every alignment, continuing a CRC, must match the table.
  func testLongRunsAcrossTheThreeLanesAgreeWithTheTable() {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<(200_000)).map { _ in UInt8.random(in: 0...255, using: &generator) }
    bytes.withUnsafeBytes { all in
      for start in [0, 1, 3, 8] {
        for length in [24_575, 24_576, 24_577, 49_152 + 13, 3 * 24_576 - 1, 150_000, all.count - 8] {
          let piece = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
          XCTAssertEqual(CRC32C.checksum(piece), CRC32C.byTable(piece), "from \(start), \(length) bytes")
          XCTAssertEqual(
            CRC32C.checksum(piece, continuing: 0x1234_5678), CRC32C.byTable(piece, continuing: 0x1234_5678),
            "from \(start), \(length) bytes after others")
        }
      }
    }
  }

  func testThisMachineUsesTheInstruction() {
    // Every x86-64 CPU since 2008 has SSE4.2; the bench figures assume the instruction.
    #if arch(x86_64)
      XCTAssertTrue(CRC32C.inHardware)
    #endif
  }
}
