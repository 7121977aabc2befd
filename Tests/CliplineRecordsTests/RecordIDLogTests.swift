import CliplineRecords
import CliplineSystem
import Foundation
import XCTest

/// A failed record's JSON error line names the record's process_id, chunk_id and camera_id (issue 25), whichever
/// loop handled it; a line that is not a record names none.
final class RecordIDLogTests: XCTestCase {
  static let input =
    #"{"process_id":101,"chunk_id":"c-3","camera_id":"cam-1","fail":true}"# + "\n" + "not json\n"
    + #"{"process_id":102}"# + "\n"

  private func reader() -> RecordReader {
    var remaining = Array(Self.input.utf8)[...]
    return RecordReader(
      lines: LineReader(maximumLineLength: 1000) { destination in
        let count = min(destination.count, remaining.count)
        destination.copyBytes(from: remaining.prefix(count))
        remaining = remaining.dropFirst(count)
        return count
      })
  }

  private func jsonDiagnostics() -> (Diagnostics, CapturedLines) {
    let captured = CapturedLines()
    return (Diagnostics(tool: "demo", format: .json, write: { captured.append($0) }), captured)
  }

  private func errorLines(_ captured: CapturedLines) throws -> [Record] {
    try captured.text.split(separator: "\n").map { try Record(json: String($0)) }
  }

  private func assertIDs(_ lines: [Record], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(lines.count, 2, "\(lines)", file: file, line: line)
    guard lines.count == 2 else { return }
    XCTAssertEqual(lines[0]["process_id"], .integer(101), file: file, line: line)
    XCTAssertEqual(lines[0]["chunk_id"], .string("c-3"), file: file, line: line)
    XCTAssertEqual(lines[0]["camera_id"], .string("cam-1"), file: file, line: line)
    XCTAssertEqual(lines[0]["line"], .integer(1), file: file, line: line)
    XCTAssertNil(lines[1]["process_id"], "a line that is not a record has no ids", file: file, line: line)
    XCTAssertEqual(lines[1]["line"], .integer(2), file: file, line: line)
  }

  struct Refused: Error {}

  func testRecordLoopSaysTheFailedRecordsIDs() throws {
    let (diagnostics, captured) = jsonDiagnostics()
    XCTAssertThrowsError(
      try RecordLoop(reader: reader(), diagnostics: diagnostics).run { record, _ in
        if record["fail"] != nil { throw Refused() }
      })
    assertIDs(try errorLines(captured))
  }

  func testOrderedRecordLoopSaysTheFailedRecordsIDs() throws {
    let (diagnostics, captured) = jsonDiagnostics()
    XCTAssertThrowsError(
      try OrderedRecordLoop(reader: reader(), diagnostics: diagnostics, jobs: 2).run(
        { record, _ in
          if record["fail"] != nil { throw Refused() }
          return []
        }, emit: { _ in }))
    assertIDs(try errorLines(captured))
  }
}
