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

  /// Info and warning lines said while a record is handled carry its ids, in a plain loop and in an ordered one
  /// whose records are handled on pool threads (in any order); a line said outside any record carries none.
  func testInfoAndWarningLinesSaidWhileARecordIsHandledNameItsIDs() throws {
    for jobs in [0, 2] {
      let (diagnostics, captured) = jsonDiagnostics()
      let handle: @Sendable (Record, Int) throws -> [Record] = { record, line in
        diagnostics.info("handling", line: line)
        diagnostics.warning("slow", line: line, fields: ["chunk_id": "own"])
        return []
      }
      if jobs == 0 {
        _ = try? RecordLoop(reader: reader(), diagnostics: diagnostics).run { record, line in
          _ = try handle(record, line)
        }
      } else {
        _ = try? OrderedRecordLoop(reader: reader(), diagnostics: diagnostics, jobs: jobs).run(handle, emit: { _ in })
      }
      diagnostics.info("done")
      let lines = try errorLines(captured).filter { $0["level"] != .string("error") }
      XCTAssertEqual(lines.count, 5, "two records handled, two lines each, then one: \(captured.text)")
      for line in lines {
        switch line["line"] {
        case .integer(1):
          XCTAssertEqual(line["process_id"], .integer(101), "\(line)")
          XCTAssertEqual(line["camera_id"], .string("cam-1"), "\(line)")
          let chunk: JSONValue = line["level"] == .string("warning") ? "own" : "c-3"
          XCTAssertEqual(line["chunk_id"], chunk, "a line's own field wins: \(line)")
        case .integer(3):
          XCTAssertEqual(line["process_id"], .integer(102), "\(line)")
          XCTAssertNil(line["camera_id"], "the second record has no camera: \(line)")
        default:
          XCTAssertEqual(line["message"], .string("done"))
          XCTAssertNil(line["process_id"], "said outside any record: \(line)")
        }
      }
    }
  }
}
