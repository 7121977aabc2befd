import CliplineSystem
import Foundation
import XCTest

/// `FileDescriptorIO.mapRange`: a range of a file handed over in mapped windows, whatever its alignment.
final class FileRangeMappingTests: XCTestCase {
  var path: String!
  var descriptor: Int32 = -1
  let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }

  override func setUpWithError() throws {
    var template = Array("\(NSTemporaryDirectory())/clipline-maprange.XXXXXX".utf8CString)
    descriptor = mkstemp(&template)
    XCTAssertGreaterThanOrEqual(descriptor, 0)
    path = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
    try bytes.withUnsafeBytes { try FileDescriptorIO.writeAll(descriptor, $0) }
  }

  override func tearDown() {
    close(descriptor)
    unlink(path)
  }

  func mapped(_ range: Range<Int64>, window: Int) throws -> (bytes: [UInt8], pieces: [Int]) {
    var seen: [UInt8] = []
    var pieces: [Int] = []
    try FileDescriptorIO.mapRange(descriptor, range, window: window) { piece in
      seen += piece
      pieces.append(piece.count)
    }
    return (seen, pieces)
  }

  func testUnalignedRangesComeWholeAndInOrderThroughWindowsSmallerThanThem() throws {
    for (range, window) in [(5000..<297_123, 16 << 10), (0..<300_000, 4096), (4095..<4097, 1 << 20), (100..<100, 4096)]
    {
      let (seen, pieces) = try mapped(Int64(range.lowerBound)..<Int64(range.upperBound), window: window)
      XCTAssertEqual(seen, Array(bytes[range]), "\(range) in windows of \(window)")
      XCTAssertLessThanOrEqual(pieces.max() ?? 0, max(window, 4096), "\(range): no piece is larger than a window")
    }
    XCTAssertEqual(try mapped(5000..<297_123, window: 16 << 10).pieces.count, 18, "windows start on page boundaries")
  }

  func testADescriptorThatCannotBeMappedThrowsNamingMmap() {
    XCTAssertThrowsError(try FileDescriptorIO.mapRange(-1, 0..<10) { _ in }) { error in
      XCTAssertEqual(error as? SystemCallError, SystemCallError(call: "mmap", code: EBADF))
    }
  }
}
