import CliplineKVSClipping
import CliplineRecords
import CliplineSystem
import XCTest

/// A task is checked before any request: the stream it names and its times.
final class ClipTaskTests: XCTestCase {
  func testATaskWithoutAStreamOrWithBadTimesIsNamed() throws {
    let noStream = try Record(
      json: #"{"camera_id":"c","start_time":"2026-02-26T14:30:00Z","end_time":"2026-02-26T14:31:00Z"}"#)
    XCTAssertThrowsError(try noStream.decode(ClipTask.self).validated()) {
      XCTAssertEqual($0 as? InputError, .missingField("stream_arn"))
    }
    let badTime = try Record(
      json: #"{"camera_id":"c","stream_name":"s","start_time":"yesterday","end_time":"2026-02-26T14:31:00Z"}"#)
    XCTAssertThrowsError(try badTime.decode(ClipTask.self).validated()) {
      XCTAssertEqual(ExitStatus.of($0), .dataError)
      XCTAssertTrue(describe($0).contains("start_time"), describe($0))
    }
    let slash = try Record(
      json:
        #"{"camera_id":"../x","stream_name":"s","start_time":"2026-02-26T14:30:00Z","end_time":"2026-02-26T14:31:00Z"}"#
    )
    XCTAssertThrowsError(try slash.decode(ClipTask.self).validated())
  }
}
