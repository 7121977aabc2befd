import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

@testable import CliplineAMQP

/// The relay of a handler's stderr (issue 24 item 13, issue 25's one log stream): linear, a cap said in the line,
/// and in JSON mode one object per line with the message's ids.
final class HandlerStderrRelayTests: XCTestCase {
  private func relayed(
    _ bytes: [UInt8], format: Diagnostics.Format = .text, lineLimit: Int = 64
  ) throws -> (lines: [String], tail: String) {
    let captured = CapturedLines()
    let relay = HandlerStderrRelay(
      write: { captured.append($0) }, format: format,
      context: ["message_id": "m-1", "queue": "Q"], source: "worker.sh", lineLimit: lineLimit, tailLimit: 32)
    var ends: [Int32] = [0, 0]
    XCTAssertEqual(pipe(&ends), 0)
    let writeEnd = ends[1]
    let writer = Thread {
      bytes.withUnsafeBytes { try? FileDescriptorIO.writeAll(writeEnd, $0) }
      close(writeEnd)
    }
    writer.start()
    let tail = relay.run(from: ends[0])
    close(ends[0])
    return (captured.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init), tail)
  }

  func testALongLineIsCutAtTheLimitAndSaysHowMuchWasDropped() throws {
    let long = [UInt8](repeating: UInt8(ascii: "a"), count: 300_000)
    let (lines, tail) = try relayed(Array("first\n".utf8) + long + Array("\nlast".utf8))
    XCTAssertEqual(lines.count, 3, "\(lines)")
    XCTAssertEqual(lines[0], "first")
    XCTAssertEqual(
      lines[1], String(repeating: "a", count: 64) + " [amqp-consume: line cut at 64 bytes; 299936 more dropped]")
    XCTAssertEqual(lines[2], "last", "a last line without its newline is relayed too")
    XCTAssertEqual(tail, String(repeating: "a", count: 27) + "\nlast", "the tail is the stream's last bytes")
  }

  func testACutNeverSplitsAUTF8Character() throws {
    // 63 ASCII bytes, then "é" (2 bytes) across the 64-byte limit: the half character goes with the rest.
    let line = Array(String(repeating: "x", count: 63).utf8) + Array("éé\n".utf8)
    let (lines, _) = try relayed(line)
    XCTAssertEqual(lines, [String(repeating: "x", count: 63) + " [amqp-consume: line cut at 64 bytes; 4 more dropped]"])
  }

  func testJSONModeMakesEveryLineAnObjectWithTheMessagesIds() throws {
    let input = """
      chunk: error (line 3): field "end_time" is missing
      {"tool":"blob-put","level":"warning","message":"slow","message_id":"own","trace_id":"abc"}
      bash: line 1: nope: command not found
      gql-mutate: created 2 rows
      \(String(repeating: "z", count: 300))

      """
    let (lines, _) = try relayed(Array(input.utf8), format: .json, lineLimit: 200)
    let objects = try lines.map { try Record(json: $0) }
    XCTAssertEqual(objects.count, 5, "\(lines)")
    XCTAssertEqual(objects[0]["tool"], "chunk")
    XCTAssertEqual(objects[0]["level"], "error")
    XCTAssertEqual(objects[0]["line"], 3)
    XCTAssertEqual(objects[0]["message"], #"field "end_time" is missing"#)
    XCTAssertEqual(objects[0]["message_id"], "m-1")
    XCTAssertEqual(objects[0]["queue"], "Q")
    XCTAssertEqual(objects[1]["message_id"], "own", "a JSON line keeps its own fields: \(lines[1])")
    XCTAssertEqual(objects[1]["trace_id"], "abc")
    XCTAssertEqual(objects[1]["queue"], "Q", "and gets the ones it lacks")
    XCTAssertEqual(objects[2]["tool"], "bash", "a tool-like prefix is read as the tool")
    XCTAssertEqual(objects[2]["message"], "line 1: nope: command not found")
    XCTAssertEqual(objects[3]["tool"], "gql-mutate")
    XCTAssertEqual(objects[3]["level"], "info")
    XCTAssertEqual(objects[4]["tool"], "worker.sh", "a line of no known shape is the handler's own")
    XCTAssertEqual(objects[4]["dropped_bytes"], 100)
    XCTAssertEqual(objects[4]["message"], .string(String(repeating: "z", count: 200)))
  }

  func testSecretsAreMaskedInACutLine() throws {
    let line = "Authorization: Bearer " + String(repeating: "s", count: 200) + "\n"
    let (lines, _) = try relayed(Array(line.utf8))
    XCTAssertEqual(lines.count, 1)
    XCTAssertTrue(lines[0].hasPrefix("Authorization: ***"), lines[0])
    XCTAssertFalse(lines[0].contains("sss"), lines[0])
  }

  /// The URL-password pattern scanned the rest of the line from every letter: quadratic, 6 s for 8 KB of letters.
  /// Now every line shape below is masked in one pass; the end-to-end test in AMQPConsumeSafetyTests shows the
  /// handler no longer stalls. Here: the masking itself is still right on the shapes that were slow.
  func testURLPasswordsAreStillMaskedOnLinesThatWereSlow() {
    let letters = String(repeating: "a", count: 20_000)
    XCTAssertEqual(SecretRedaction.text(letters), letters)
    let schemes = String(repeating: "x://b", count: 4_000)
    XCTAssertEqual(SecretRedaction.text(schemes), schemes)
    XCTAssertEqual(
      SecretRedaction.text(letters + " amqp://user:hunter2@broker/v " + letters),
      letters + " amqp://user:***@broker/v " + letters)
    XCTAssertEqual(SecretRedaction.text("s3+https://k:p@h"), "s3+https://k:***@h")
  }
}
