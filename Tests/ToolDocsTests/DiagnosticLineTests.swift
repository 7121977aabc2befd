import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// One diagnostic is one line of visible text (issue 24, item 12): a refused value's newline cannot split it into
/// a forged second `tool: error` line in a log, and its NUL or ESC never reaches the terminal.
final class DiagnosticLineTests: XCTestCase {
  func testControlBytesInARefusedValueAreNamedNotWritten() throws {
    let forged = "later\nchunk: error (line 9): forged\u{1B}[2J\u{0}"
    let record = try JSONSerialization.data(withJSONObject: [
      "cloud_stream_path": "/x.mp4", "inference_modality": forged,
    ])
    let scratch = try ScratchDirectory("control-bytes")
    let result = try ToolInvocation.run("chunk", ["-o", scratch.path], stdin: String(decoding: record, as: UTF8.self))
    XCTAssertEqual(result.status, 65, result.stderr)
    XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "one line: \(result.stderr)")
    XCTAssertFalse(result.stderr.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{0}" }, result.stderr)
    XCTAssertTrue(result.stderr.contains(#"later\nchunk: error (line 9): forged\u{1B}[2J\u{0}"#), result.stderr)
  }

  func testOnlyInvisibleCharactersAreNamed() {
    XCTAssertEqual(namingInvisibles("tab\there, é, 字"), #"tab\there, é, 字"#)
    XCTAssertEqual(namingInvisibles("plain text"), "plain text")
  }
}
