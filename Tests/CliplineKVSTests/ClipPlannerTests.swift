import CliplineKVS
import Foundation
import XCTest

final class ClipPlannerTests: XCTestCase {
  private func fragments(_ count: Int, length: Double = 2, bytes: Int64 = 1000, from start: Double = 0) -> [KVSFragment]
  {
    (0..<count).map {
      KVSFragment(
        number: "\($0)", start: Date(timeIntervalSince1970: start + Double($0) * length), lengthSeconds: length,
        bytes: bytes)
    }
  }

  func testARangeWithinTheLimitsIsOneRequest() {
    let list = fragments(30)
    let pieces = ClipPlanner().plan(list, start: list[0].start, end: list[29].end)
    XCTAssertEqual(pieces.count, 1)
    XCTAssertEqual(pieces[0].fragmentCount, 30)
  }

  func testTwoHundredFragmentsIsTheCapAndPiecesMeetExactly() {
    let list = fragments(450, length: 0.2)
    let start = Date(timeIntervalSince1970: 0)
    let end = Date(timeIntervalSince1970: 90)
    let pieces = ClipPlanner().plan(list, start: start, end: end)
    XCTAssertEqual(pieces.map(\.fragmentCount), [200, 200, 50])
    XCTAssertEqual(pieces[0].start, start)
    XCTAssertEqual(pieces[0].end, list[200].start)
    XCTAssertEqual(pieces[1].start, list[200].start)
    XCTAssertEqual(pieces[1].end, list[400].start)
    XCTAssertEqual(pieces[2].end, end)
  }

  func testOneHundredMegabytesIsTheCap() {
    let list = fragments(10, bytes: 30 * 1024 * 1024)
    let pieces = ClipPlanner().plan(list, start: list[0].start, end: list[9].end)
    XCTAssertEqual(pieces.map(\.fragmentCount), [3, 3, 3, 1])
    XCTAssertTrue(pieces.allSatisfy { $0.bytes <= 100 * 1024 * 1024 })
  }

  func testTwentyFourHoursIsTheCap() {
    let list = fragments(60, length: 3600)  // sixty one-hour fragments
    let pieces = ClipPlanner().plan(list, start: list[0].start, end: list[59].end)
    XCTAssertEqual(pieces.map(\.fragmentCount), [24, 24, 12])
    XCTAssertTrue(pieces.allSatisfy { $0.end.timeIntervalSince($0.start) <= 24 * 3600 })
  }

  func testAGapInTheStreamOrAnEarlyStartNeverMakesAPieceLongerThanTwentyFourHours() {
    // Two hours of media, then the camera is off for two days, then two more hours; the task asks from a day
    // and a half before the first fragment to a day and a half after the last.
    let list = fragments(2, length: 3600, from: 0) + fragments(2, length: 3600, from: 50 * 3600)
    let start = Date(timeIntervalSince1970: -36 * 3600)
    let end = Date(timeIntervalSince1970: 88 * 3600)
    let pieces = ClipPlanner().plan(list, start: start, end: end)
    XCTAssertEqual(pieces.map(\.fragmentCount), [2, 2])
    XCTAssertTrue(pieces.allSatisfy { $0.end.timeIntervalSince($0.start) <= 24 * 3600 }, "\(pieces)")
    // Every fragment is still inside its piece.
    XCTAssertLessThanOrEqual(pieces[0].start, list[0].start)
    XCTAssertGreaterThanOrEqual(pieces[0].end, list[1].end)
    XCTAssertEqual(pieces[1].start, list[2].start)
    XCTAssertGreaterThanOrEqual(pieces[1].end, list[3].end)
  }
}
