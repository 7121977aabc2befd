import CliplineRecords
import CliplineSystem
import XCTest

final class RecordTests: XCTestCase {
  struct Needs: Decodable {
    let endTime: String
    let count: Int
    enum CodingKeys: String, CodingKey {
      case endTime = "end_time"
      case count
    }
  }

  func testMergeAddsFieldsAndKeepsTheRest() throws {
    struct Added: Encodable {
      let chunkId: Int
      enum CodingKeys: String, CodingKey { case chunkId = "chunk_id" }
    }
    let record = try Record(json: #"{"process_id":7,"inference_config":{"k":[1,2]},"chunk_id":0}"#)
    let merged = try record.merging(Added(chunkId: 3))
    XCTAssertEqual(merged.jsonText, #"{"chunk_id":3,"inference_config":{"k":[1,2]},"process_id":7}"#)
  }

  func testDecodingErrorsNameTheField() throws {
    let missing = try Record(json: #"{"count":1}"#)
    XCTAssertThrowsError(try missing.decode(Needs.self)) { error in
      XCTAssertEqual(error as? InputError, .missingField("end_time"))
      XCTAssertEqual(describe(error), #"field "end_time" is missing"#)
      XCTAssertEqual(ExitStatus.of(error), .dataError)
    }
    let wrong = try Record(json: #"{"end_time":"x","count":"many"}"#)
    XCTAssertThrowsError(try wrong.decode(Needs.self)) { error in
      XCTAssertEqual(describe(error), #"field "count" must be a number, found a string"#)
    }
  }

  func testOnlyObjectsAreRecords() {
    XCTAssertThrowsError(try Record(json: "[1]")) { XCTAssertEqual(describe($0), "not a JSON object: found an array") }
    XCTAssertThrowsError(try Record(json: "nope")) { XCTAssertTrue(describe($0).hasPrefix("not a JSON object:")) }
  }

  func testDottedPaths() throws {
    let record = try Record(json: #"{"video_preprocessing":{"fps":15}}"#)
    XCTAssertEqual(record.value(at: "video_preprocessing.fps"), .integer(15))
    XCTAssertNil(record.value(at: "video_preprocessing.width"))
  }
}
