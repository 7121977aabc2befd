import CliplineRecords
import CliplineSystem
import XCTest

/// A number a tool does not own comes back as the text it was read as (issue 9, item 5).
final class NumberPassThroughTests: XCTestCase {
  static let awkwardNumbers = [
    "12345678901234567890", "-12345678901234567890", "1e400", "-1e400", "-0", "-0.0", "60.0", "60.50", "1.5e3",
    "1E+2", "0.1", "1e-400", "123456789012345678901234567890.5", "9223372036854775807", "-9223372036854775808",
  ]

  func testEveryAwkwardNumberRoundTripsByteForByteThroughTheRecordWriter() throws {
    for number in Self.awkwardNumbers {
      let line = #"{"n":\#(number),"nested":{"list":[\#(number)]}}"#
      let record = try Record(json: line)
      let sink = MemorySink()
      try RecordWriter(sink: sink).write(try record.merging(["added": 1] as [String: Int]))
      XCTAssertEqual(sink.lines, [#"{"added":1,"n":\#(number),"nested":{"list":[\#(number)]}}"#], number)
    }
  }

  func testNumbersThatRoundTripStayParsed() throws {
    XCTAssertEqual(try JSONParser.parse("42"), .integer(42))
    XCTAssertEqual(try JSONParser.parse("60.0"), .double(60))
    XCTAssertEqual(try JSONParser.parse("0.5"), .double(0.5))
    XCTAssertEqual(try JSONParser.parse("-0"), .number("-0"))
    XCTAssertEqual(try JSONParser.parse("1e400"), .number("1e400"))
    XCTAssertEqual(try JSONParser.parse("12345678901234567890").doubleValue, 1.2345678901234567e19)
    XCTAssertEqual(try JSONParser.parse("1.5e3").integerValue, 1500)
    XCTAssertNil(try JSONParser.parse("1e400").doubleValue)
  }

  struct Request: Decodable {
    let fps: Double?
    let width: Int?
  }

  func testARequestNumberThatOverflowsIsADataErrorNamingTheField() throws {
    for (line, expected) in [
      (#"{"fps":1e400}"#, #"field "fps" is 1e400, too large for a number"#),
      (#"{"width":12345678901234567890}"#, #"field "width" is 12345678901234567890, too large for a whole number"#),
      (#"{"width":1e400}"#, #"field "width" is 1e400, too large for a whole number"#),
    ] {
      XCTAssertThrowsError(try Record(json: line).decode(Request.self), line) { error in
        XCTAssertEqual(ExitStatus.of(error), .dataError, line)
        XCTAssertTrue("\(error)".hasPrefix(expected), "\(line): \(error)")
      }
    }
    // What fits is read: an exponent, a negative zero.
    XCTAssertEqual(try Record(json: #"{"fps":1.5e1,"width":-0}"#).decode(Request.self).fps, 15)
    XCTAssertEqual(try Record(json: #"{"width":1e3}"#).decode(Request.self).width, 1000)
  }
}
