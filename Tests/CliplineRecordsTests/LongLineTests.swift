import CliplineRecords
import CliplineSystem
import XCTest

/// The line reader scans each byte once and refuses a line over its maximum, then goes on (issue 9, item 13).
final class LongLineTests: XCTestCase {
  /// Hands out `total` bytes in reads of 64 KiB: `x`s with a newline every `lineLength` bytes.
  func reader(lines: [Int], maximum: Int = LineReader.maximumLineLength) -> LineReader {
    var pending: [(length: Int, written: Int)] = lines.map { ($0, 0) }
    return LineReader(maximumLineLength: maximum) { destination in
      guard !pending.isEmpty else { return 0 }
      var count = 0
      while count < destination.count, !pending.isEmpty {
        let (length, written) = pending[0]
        if written < length {
          let n = min(length - written, destination.count - count)
          memset(destination.baseAddress! + count, 0x78, n)
          count += n
          pending[0].written += n
        } else {
          destination[count] = 0x0A
          count += 1
          pending.removeFirst()
        }
      }
      return count
    }
  }

  func testATwentyMegabyteLineIsScannedOnce() throws {
    let length = 20_000_000
    let lines = reader(lines: [length, 3], maximum: 32 * 1024 * 1024)
    XCTAssertEqual(try lines.nextLine()?.count, length)
    XCTAssertEqual(try lines.nextLine()?.count, 3)
    XCTAssertNil(try lines.nextLine())
    // Each byte searched for a newline once: the quadratic reader searched ~3 * 10^12 bytes here.
    XCTAssertEqual(lines.bytesScanned, length + 1 + 3 + 1)
  }

  func testALineOverTheMaximumIsRefusedAndTheNextLineIsRead() throws {
    let lines = reader(lines: [10, LineReader.maximumLineLength + 1, 5, LineReader.maximumLineLength + 200_000])
    XCTAssertEqual(try lines.nextLine()?.count, 10)
    XCTAssertThrowsError(try lines.nextLine()) { error in
      XCTAssertEqual((error as? LineTooLong)?.line, 2)
      XCTAssertEqual((error as? LineTooLong)?.maximum, LineReader.maximumLineLength)
      XCTAssertEqual("\(error)", "line 2 is longer than the maximum of 16777216 bytes; it was skipped")
      XCTAssertEqual(ExitStatus.of(error), .dataError)
    }
    XCTAssertEqual(try lines.nextLine()?.count, 5)
    XCTAssertThrowsError(try lines.nextLine()) { XCTAssertEqual(($0 as? LineTooLong)?.line, 4) }
    XCTAssertNil(try lines.nextLine())
  }

  func testTheRecordLoopReportsTheLongLineWithItsNumberAndExits65() throws {
    let input = "{\"n\":1}\n{\"s\":\"" + String(repeating: "x", count: 300) + "\"}\n{\"n\":3}\n"
    var remaining = Array(input.utf8)[...]
    let lines = LineReader(maximumLineLength: 100) { destination in
      let count = min(destination.count, remaining.count, 7)
      destination.copyBytes(from: remaining.prefix(count))
      remaining = remaining.dropFirst(count)
      return count
    }
    let (diagnostics, captured) = Diagnostics.capturing(tool: "demo")
    let sink = MemorySink()
    let writer = RecordWriter(sink: sink)
    XCTAssertThrowsError(
      try RecordLoop(reader: RecordReader(lines: lines), diagnostics: diagnostics).run { record, _ in
        try writer.write(record)
      }
    ) { XCTAssertEqual(ExitStatus.of($0), .dataError) }
    XCTAssertEqual(sink.lines, [#"{"n":1}"#, #"{"n":3}"#])
    XCTAssertTrue(
      captured.text.contains("demo: error (line 2): the line is longer than the maximum of 100 bytes; it was skipped"),
      captured.text)
  }

  func testAnUnterminatedLastLineOverTheMaximumIsRefused() {
    let lines = LineReader(maximumLineLength: 4, bytes: Array("abc\nabcdefgh".utf8))
    XCTAssertEqual(try lines.nextLine().map { Array($0) }, Array("abc".utf8))
    XCTAssertThrowsError(try lines.nextLine()) { XCTAssertEqual(($0 as? LineTooLong)?.line, 2) }
    XCTAssertNil(try lines.nextLine())
  }
}
