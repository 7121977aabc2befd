import CliplineSources
import CliplineTestSupport
import Foundation
import XCTest

/// A ranged download's writer gathers libcurl's small pieces into larger writes: every byte still lands at its own
/// offset, and the ranges it reports as written are contiguous and cover exactly what was written, flush included.
final class OffsetWriterTests: XCTestCase {
  func testGatheredPiecesLandAtTheirOffsetsAndTheReportedRangesCoverThemOnce() throws {
    let scratch = try ScratchDirectory("offset-writer")
    let path = scratch.file("download.bin")
    try createPreallocated(path, size: 1000)
    let bytes = (0..<700).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
    let writer = OffsetWriter(path: path, offset: 200, gather: 64, lock: NSLock())
    var reported: [Range<Int64>] = []
    // Pieces smaller than, equal to and larger than the gather size, in an order that mixes them.
    var at = 0
    for size in [10, 30, 24, 64, 1, 200, 5, 63, 2, 150, 151] {
      let piece = Array(bytes[at..<(at + size)])
      if let range = try piece.withUnsafeBytes({ try writer.write($0) }) { reported.append(range) }
      at += size
    }
    XCTAssertEqual(at, bytes.count)
    if let range = try writer.flush() { reported.append(range) }
    XCTAssertNil(try writer.flush(), "nothing is left to flush twice")
    XCTAssertEqual(reported.first?.lowerBound, 200)
    XCTAssertEqual(reported.last?.upperBound, 900)
    for (earlier, later) in zip(reported, reported.dropFirst()) { XCTAssertEqual(earlier.upperBound, later.lowerBound) }
    XCTAssertTrue(reported.dropLast().allSatisfy { $0.count >= 64 }, "gathered writes: \(reported)")
    let file = try Data(contentsOf: URL(fileURLWithPath: path))
    XCTAssertEqual(file.count, 1000, "the preallocated size stays")
    XCTAssertEqual(Array(file[200..<900]), bytes)
    XCTAssertEqual(Array(file[0..<200]), [UInt8](repeating: 0, count: 200))
  }
}
