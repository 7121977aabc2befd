import CliplineRecords
import CliplineSystem
import XCTest

/// `Record.decode` reads the JSONValue directly, and its errors speak JSON (issue 12; issue 9, low).
final class JSONValueDecoderTests: XCTestCase {
  struct Inner: Decodable, Equatable {
    let fps: Double
    let tags: [String]
  }

  struct Request: Decodable, Equatable {
    let name: String
    let count: Int
    let ratio: Float?
    let enabled: Bool?
    let inner: Inner?
    let extra: JSONValue?
    let big: UInt64?
  }

  func testDecodesNestedValuesOptionalsAndRawJSON() throws {
    let record = try Record(
      json: #"{"name":"a","count":3,"ratio":0.5,"inner":{"fps":30,"tags":["x","y"]},"extra":{"k":[1,null]},"#
        + #""big":12345678901234567890,"unread":true}"#)
    let request = try record.decode(Request.self)
    XCTAssertEqual(
      request,
      Request(
        name: "a", count: 3, ratio: 0.5, enabled: nil, inner: Inner(fps: 30, tags: ["x", "y"]),
        extra: ["k": [1, nil]], big: 12_345_678_901_234_567_890))
    XCTAssertNil(try Record(json: #"{"name":"a","count":1,"inner":null}"#).decode(Request.self).inner)
  }

  func testErrorsNameTheFieldAndTheJSONKinds() throws {
    let cases: [(String, String)] = [
      (#"{"count":1}"#, #"field "name" is missing"#),
      (#"{"name":null,"count":1}"#, #"field "name" is missing"#),
      (#"{"name":1,"count":1}"#, #"field "name" must be a string, found a number"#),
      (#"{"name":"a","count":1.5}"#, #"field "count" must be a whole number, found 1.5"#),
      (#"{"name":"a","count":1,"inner":"x"}"#, #"field "inner" must be an object, found a string"#),
      (
        #"{"name":"a","count":1,"inner":{"fps":1,"tags":{}}}"#, #"field "inner.tags" must be an array, found an object"#
      ),
      (
        #"{"name":"a","count":1,"inner":{"fps":1,"tags":[2]}}"#,
        #"field "inner.tags[0]" must be a string, found a number"#
      ),
      (#"{"name":"a","count":1,"enabled":"yes"}"#, #"field "enabled" must be a boolean, found a string"#),
    ]
    for (line, expected) in cases {
      XCTAssertThrowsError(try Record(json: line).decode(Request.self), line) { error in
        XCTAssertEqual("\(error)", expected, line)
        XCTAssertEqual(ExitStatus.of(error), .dataError)
        XCTAssertFalse("\(error)".contains("Dictionary"), "\(error)")
      }
    }
  }

  func testParseErrorsNameBytesInsteadOfShowingThem() {
    for (line, expected) in [
      ("\u{0}{}", "not a JSON object: unexpected byte 0x00 at byte 1"),
      ("\u{FEFF}{}", "not a JSON object: unexpected byte order mark (U+FEFF) at byte 1"),
      ("\u{7F}", "not a JSON object: unexpected byte 0x7F at byte 1"),
      ("é", "not a JSON object: unexpected byte 0xC3 at byte 1"),
      ("x", "not a JSON object: unexpected character 'x' at byte 1"),
    ] {
      XCTAssertThrowsError(try Record(json: line)) { XCTAssertEqual("\($0)", expected) }
    }
  }

  func testAByteOrderMarkAtTheStartOfInputIsSkipped() throws {
    let reader = RecordReader(text: "\u{FEFF}{\"a\":1}\n\u{FEFF}{\"b\":2}\n")
    let lines = Array(reader)
    XCTAssertEqual(try lines[0].record.get()["a"], .integer(1))
    XCTAssertThrowsError(try lines[1].record.get()) {
      XCTAssertEqual("\($0)", "not a JSON object: unexpected byte order mark (U+FEFF) at byte 1")
    }
  }
}

final class QuotedTextTests: XCTestCase {
  func testQuotedInputEscapesWhatATerminalWouldNotShow() {
    XCTAssertEqual(quoted("a\"b\\c\n\t"), #""a\"b\\c\n\t""#)
    XCTAssertEqual(quoted("x\u{0}y\u{FEFF}z\u{202E}"), #""x\u{0}y\u{FEFF}z\u{202E}""#)
    XCTAssertEqual(quoted("é😀"), "\"é😀\"")
    XCTAssertEqual(quoted(String(repeating: "a", count: 5), limit: 3), "\"aaa…\"")
  }

  func testAFieldNameWithControlCharactersIsEscapedInTheSentence() throws {
    XCTAssertThrowsError(try Record(json: #"{"a":1}"#).decode([String: [String: Int]].self)) {
      XCTAssertEqual("\($0)", #"field "a" must be an object, found a number"#)
    }
    XCTAssertEqual("\(InputError.missingField("bad\u{0}name"))", #"field "bad\u{0}name" is missing"#)
  }
}
