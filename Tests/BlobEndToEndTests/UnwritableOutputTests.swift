import CliplineRecords
import CliplineTestSupport
import Foundation
import XCTest

/// A record a tool cannot write is a failure: its work was done (an object stored, a row created) and nobody
/// downstream will ever hear of it. A full disk (`> /dev/full`) is 75 with one sentence naming the line, and the tool
/// stops there; a reader that went away (`| head -1`) is 141, said by nobody, as a stage SIGPIPE ended. Both record
/// loops: blob-put's ordered one (records handled `--jobs` at a time) and record-shape's.
final class UnwritableOutputTests: XCTestCase {
  var scratch: ScratchDirectory!

  override func setUpWithError() throws { scratch = try ScratchDirectory("unwritable-output") }

  /// `count` records naming small files, for blob-put to store under file://; each line over 1 KB, so 300 of them
  /// fill more than a pipe and `head -1`'s read: the writer meets the closed pipe whatever the timing.
  func records(_ count: Int) throws -> String {
    let padding = JSONValue.string(String(repeating: "x", count: 1024))
    return try (1...count).map { index in
      let file = scratch.file("in-\(index).txt")
      try "chunk \(index)\n".write(toFile: file, atomically: true, encoding: .utf8)
      let record = Record(["chunk_path": .string(file), "chunk_id": .integer(Int64(index)), "padding": padding])
      return record.jsonText + "\n"
    }.joined()
  }

  /// Runs `tool arguments… < input` through bash with `redirect` after it (`> /dev/full`, `| head -1 > /dev/null`);
  /// the tool's own exit status is the last line of stdout.
  func run(_ tool: String, _ arguments: [String], input: String, redirect: String) throws -> (
    status: Int32, stderr: String
  ) {
    let inputFile = scratch.file("input-\(UUID().uuidString).jsonl")
    try input.write(toFile: inputFile, atomically: true, encoding: .utf8)
    let command = "\"$0\" \"$@\" < \(inputFile) \(redirect); echo ${PIPESTATUS[0]}"
    let result = try ToolInvocation.runProcess("/bin/bash", ["-c", command, ToolInvocation.path(of: tool)] + arguments)
    let status = Int32(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    return (status, result.stderr)
  }

  func errorLines(_ stderr: String) -> [Substring] { stderr.split(separator: "\n").filter { $0.contains(": error") } }

  func testAFullDiskFailsTheRecordItsLineAndStops() throws {
    let input = try records(20)
    for jobs in ["1", "4"] {
      let store = "file://\(scratch.file("store-\(jobs)"))/{chunk_id}.txt"
      let result = try run("blob-put", ["--to", store, "--jobs", jobs], input: input, redirect: "> /dev/full")
      XCTAssertEqual(result.status, 75, "--jobs \(jobs): \(result.stderr)")
      let errors = errorLines(result.stderr)
      XCTAssertTrue(errors.first?.contains("(line 1)") == true, result.stderr)
      XCTAssertTrue(errors.first?.contains("could not be written to stdout") == true, result.stderr)
      XCTAssertTrue(errors.count <= 2, "one sentence, and at most the count of failed records: \(result.stderr)")
    }
    let shaped = try run("record-shape", ["--keep", "chunk_id"], input: input, redirect: "> /dev/full")
    XCTAssertEqual(shaped.status, 75, shaped.stderr)
    XCTAssertEqual(errorLines(shaped.stderr).count, 1, shaped.stderr)
    XCTAssertTrue(shaped.stderr.contains("(line 1)"), shaped.stderr)
  }

  func testAReaderThatWentAwayIs141AndQuiet() throws {
    let input = try records(300)
    for jobs in ["1", "4"] {
      let store = "file://\(scratch.file("closed-\(jobs)"))/{chunk_id}.txt"
      let result = try run(
        "blob-put", ["--to", store, "--jobs", jobs], input: input, redirect: "| head -1 > /dev/null")
      XCTAssertEqual(result.status, 141, "--jobs \(jobs): \(result.stderr)")
      XCTAssertEqual(errorLines(result.stderr), [], result.stderr)
    }
    let shaped = try run(
      "record-shape", ["--keep", "chunk_id,padding"], input: input, redirect: "| head -1 > /dev/null")
    XCTAssertEqual(shaped.status, 141, shaped.stderr)
  }
}
