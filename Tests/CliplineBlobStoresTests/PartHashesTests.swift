import CliplineCrypto
import XCTest

@testable import CliplineBlobStores

/// A part's checksum comes from the writer's bytes only when they are the part, front to back; anything else leaves
/// the part to be hashed from the file.
final class PartHashesTests: XCTestCase {
  let file = (0..<100).map { UInt8($0) }

  /// Part 1 is bytes 10..<40, part 2 40..<70, part 3 70..<100.
  func hashes(_ algorithm: Digest.Algorithm = .sha256) -> PartHashes {
    PartHashes(algorithm: algorithm, head: 10, partSize: 30)
  }

  func write(_ hashes: PartHashes, _ range: Range<Int>) {
    file[range].withUnsafeBytes { hashes.take($0, at: Int64(range.lowerBound)) }
  }

  func testBytesInOrderGiveEachPartsChecksumAndTheTails() throws {
    let hashes = hashes()
    for start in stride(from: 0, to: 95, by: 7) { write(hashes, start..<min(start + 7, 95)) }
    XCTAssertEqual(hashes.checksum(of: 1, range: 10..<40), Digest.sha256(Array(file[10..<40])))
    XCTAssertEqual(hashes.checksum(of: 2, range: 40..<70), Digest.sha256(Array(file[40..<70])))
    XCTAssertEqual(hashes.checksum(of: 3, range: 70..<95), Digest.sha256(Array(file[70..<95])))
    XCTAssertNil(hashes.checksum(of: 3, range: 70..<95), "asked once")
  }

  func testTheStoresAlgorithmIsUsed() throws {
    let hashes = hashes(.md5)
    write(hashes, 0..<100)
    XCTAssertEqual(hashes.checksum(of: 2, range: 40..<70), Digest.md5(Array(file[40..<70])))
  }

  func testAHoleOrAWriteGoingBackLeavesThePartWithout() throws {
    let hashes = hashes()
    write(hashes, 0..<50)
    write(hashes, 55..<100)
    XCTAssertEqual(hashes.checksum(of: 1, range: 10..<40), Digest.sha256(Array(file[10..<40])))
    XCTAssertNil(hashes.checksum(of: 2, range: 40..<70), "bytes 50..<55 never came")
    XCTAssertEqual(hashes.checksum(of: 3, range: 70..<100), Digest.sha256(Array(file[70..<100])))

    let again = self.hashes()
    write(again, 0..<45)
    write(again, 20..<25)
    write(again, 45..<70)
    XCTAssertNil(again.checksum(of: 1, range: 10..<40), "part 1 was written again")
    XCTAssertNil(again.checksum(of: 2, range: 40..<70), "part 2 was interrupted by a write going back")
  }

  func testARangeThatIsNotThePartGetsNone() throws {
    let hashes = hashes()
    write(hashes, 0..<100)
    XCTAssertNil(hashes.checksum(of: 1, range: 10..<35))
    XCTAssertNil(hashes.checksum(of: 3, range: 70..<90), "bytes past the range were hashed")
  }
}
