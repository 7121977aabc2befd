import CliplineRecords
import CliplineSystem
import XCTest

final class JSONTests: XCTestCase {
  func testParsesEveryKindOfValue() throws {
    let value = try JSONParser.parse(
      #"{"a":1,"b":-2.5,"c":"x\"y\u00e9\ud83d\ude00","d":[true,false,null],"e":{},"f":1e3}"#)
    XCTAssertEqual(
      value,
      .object([
        "a": .integer(1), "b": .double(-2.5), "c": .string("x\"yé😀"), "d": .array([.bool(true), .bool(false), .null]),
        "e": .object([:]), "f": .number("1e3"),
      ]))
    // 1e3 would come back as 1000.0 from a double: it is kept as read, and still reads as a number.
    XCTAssertEqual(value.objectValue?["f"]?.doubleValue, 1000)
  }

  func testSerializesWithSortedKeysAndKeepsNumberKinds() throws {
    let text = #"{"z":1,"a":60.0,"m":[1,2.5],"s":"tab\there"}"#
    XCTAssertEqual(JSONSerializer.string(try JSONParser.parse(text)), #"{"a":60.0,"m":[1,2.5],"s":"tab\there","z":1}"#)
  }

  func testRejectsMalformedInputWithAPosition() {
    for bad in [#"{"a":}"#, #"{"a":1"#, "[1,]", #"{"a" 1}"#, "01", #""\x""#, "{} extra", #""\ud800""#] {
      XCTAssertThrowsError(try JSONParser.parse(bad), bad) { error in
        XCTAssertTrue(error is JSONParseError, "\(bad): \(error)")
      }
    }
  }

  func testLargeIntegersStayExact() throws {
    XCTAssertEqual(try JSONParser.parse("9007199254740993"), .integer(9_007_199_254_740_993))
  }

  func testEncoderKeepsDoublesAsDoubles() throws {
    struct Fields: Encodable {
      let start: Double
      let id: Int
      let name: String?
      let nested: [String: Int]
    }
    let value = try JSONValueEncoder().encode(Fields(start: 60, id: 3, name: nil, nested: ["k": 1]))
    XCTAssertEqual(JSONSerializer.string(value), #"{"id":3,"nested":{"k":1},"start":60.0}"#)
  }
}
