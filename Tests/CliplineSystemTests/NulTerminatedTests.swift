import CliplineSystem
import XCTest

final class NulTerminatedTests: XCTestCase {
  func testTheTextEndsAtTheFirstNulOrTheBuffer() {
    XCTAssertEqual(String(nulTerminated: [72, 105, 0, 33, 0]), "Hi")
    XCTAssertEqual(String(nulTerminated: [72, 105]), "Hi")
    XCTAssertEqual(String(nulTerminated: [0, 72]), "")
    XCTAssertEqual(String(nulTerminated: [-61, -87, 0]), "é")  // UTF-8 bytes as CChar
    XCTAssertEqual(String(nulTerminated: [-1, 0]), "\u{FFFD}")  // not UTF-8: replaced, not a crash
  }
}
