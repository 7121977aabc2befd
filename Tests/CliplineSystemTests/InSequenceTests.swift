import CliplineSystem
import XCTest

/// Results finished out of order come out in order, each as soon as every earlier one is in.
final class InSequenceTests: XCTestCase {
  func testResultsComeOutInOrderAsSoonAsTheGapCloses() {
    var results = InSequence<String>()
    XCTAssertEqual(results.finish(1, "b"), [])
    XCTAssertEqual(results.finish(2, "c"), [])
    XCTAssertEqual(results.finish(0, "a"), ["a", "b", "c"])
    XCTAssertEqual(results.finish(3, "d"), ["d"])
  }

  func testSkippingForgetsWhatWaitsForANumberThatWillNeverFinish() {
    var results = InSequence<Int>()
    XCTAssertEqual(results.finish(1, 1), [])
    results.skip(to: 2)
    XCTAssertEqual(results.finish(3, 3), [])
    XCTAssertEqual(results.finish(2, 2), [2, 3])
  }
}
