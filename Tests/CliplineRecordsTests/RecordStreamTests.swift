import CliplineRecords
import CliplineSystem
import Foundation
import XCTest

final class RecordStreamTests: XCTestCase {
  func testReaderNumbersLinesSkipsBlanksAndKeepsGoingAfterABadLine() {
    let reader = RecordReader(text: "{\"a\":1}\n\n  \nnot json\r\n{\"b\":2}")
    let lines = Array(reader)
    XCTAssertEqual(lines.map(\.number), [1, 4, 5])
    XCTAssertEqual(try lines[0].record.get()["a"], .integer(1))
    XCTAssertThrowsError(try lines[1].record.get())
    XCTAssertEqual(try lines[2].record.get()["b"], .integer(2))
  }

  func testLinesLongerThanTheReadBufferSurvive() throws {
    let long = String(repeating: "x", count: 200_000)
    let reader = RecordReader(text: "{\"s\":\"\(long)\"}\n{\"n\":1}\n")
    let records = reader.map { try? $0.record.get() }
    XCTAssertEqual(records.count, 2)
    XCTAssertEqual(records[0]?["s"]?.stringValue?.count, 200_000)
  }

  func testLoopReportsFailuresWithLineNumbersAndExitsWithTheFirstFailure() throws {
    let (diagnostics, captured) = Diagnostics.capturing(tool: "demo")
    let sink = MemorySink()
    let writer = RecordWriter(sink: sink)
    let loop = RecordLoop(reader: RecordReader(text: "{\"n\":1}\n[]\n{\"n\":3}\n{}\n"), diagnostics: diagnostics)
    XCTAssertThrowsError(
      try loop.run { record, _ in
        guard record["n"] != nil else { throw InputError.missingField("n") }
        try writer.write(record)
      }
    ) { error in
      let failures = error as? RecordsFailed
      XCTAssertEqual(failures?.failed, 2)
      XCTAssertEqual(failures?.total, 4)
      XCTAssertEqual(failures?.exitStatus, .dataError)
    }
    XCTAssertEqual(sink.lines, [#"{"n":1}"#, #"{"n":3}"#])
    XCTAssertTrue(captured.text.contains("demo: error (line 2): not a JSON object: found an array"), captured.text)
    XCTAssertTrue(captured.text.contains(#"demo: error (line 4): field "n" is missing"#), captured.text)
  }

  func testClosedPipeIsReportedAsOutputClosed() throws {
    var fds: [Int32] = [0, 0]
    XCTAssertEqual(pipe(&fds), 0)
    close(fds[0])
    let sink = FileDescriptorSink(fileDescriptor: fds[1])
    XCTAssertThrowsError(try sink.writeLine(Array("{}\n".utf8))) { XCTAssertTrue($0 is OutputClosed) }
    close(fds[1])
  }

  func testJSONLogFormat() throws {
    let lines = CapturedLines()
    let diagnostics = Diagnostics(tool: "demo", format: .json, write: { lines.append($0) })
    diagnostics.error("boom", line: 3)
    let record = try Record(json: lines.text.trimmingCharacters(in: .newlines))
    XCTAssertEqual(record["level"], "error")
    XCTAssertEqual(record["line"], JSONValue.integer(3))
    XCTAssertEqual(record["tool"], "demo")
    XCTAssertEqual(record["message"], "boom")
  }
}
