import CliplineTestSupport
import Foundation
import XCTest

/// Every tool doing its work (`ToolRow.work`) under `ulimit -n` and `ulimit -v` (issue 24, items 9 and 10): it
/// either finishes as it would without the limit, or stops with 75 and the sentence that names the limit; never a
/// signal (a failed allocation aborted, a failed pipe() or descriptor-less libdispatch trapped), never a wrong code
/// (a missing file, an unreachable server, bad data) for what was a shortage of its own.
final class EveryToolUnderLimitsTests: XCTestCase {
  func testOutOfDescriptorsIsASentenceAnd75NeverASignal() throws {
    let scratch = try ScratchDirectory("ulimit-n")
    for (tool, row) in try ToolRow.all(in: scratch).sorted(by: { $0.key < $1.key }) {
      for limit in [4, 6, 8, 10, 12, 16] {
        let ended = try run(tool, row, limit: "-n \(limit)", in: scratch)
        check(
          ended, tool, row, limit: "ulimit -n \(limit)", shortage: "out of file descriptors (ulimit -n is \(limit))")
      }
    }
  }

  /// The limits start just above what each tool maps before it does anything (measured here), so the failures
  /// come inside its work rather than in the dynamic loader.
  func testOutOfMemoryIsASentenceAnd75NeverASignal() throws {
    let scratch = try ScratchDirectory("ulimit-v")
    for (tool, row) in try ToolRow.all(in: scratch).sorted(by: { $0.key < $1.key }) {
      let idle = try idleVirtualKilobytes(tool, row, in: scratch)
      for extra in [4_000, 16_000, 64_000, 160_000] {
        let ended = try run(tool, row, limit: "-v \(idle + extra)", in: scratch)
        check(ended, tool, row, limit: "ulimit -v \(idle + extra)", shortage: "out of memory")
      }
    }
  }

  private func run(_ tool: String, _ row: ToolRow, limit: String, in scratch: ScratchDirectory) throws
    -> ProcessRun.Ended
  {
    let work = scratch.file("\(tool).jsonl")
    try row.work.write(toFile: work, atomically: true, encoding: .utf8)
    let script = "ulimit \(limit) && exec \"$@\""
    return try row.end(
      ProcessRun.start(
        "/bin/sh", ["-c", script, "sh", ToolInvocation.path(of: tool)] + row.arguments, stdin: .file(work),
        environment: Self.temporaryFiles(in: scratch)))
  }

  /// A tool killed here (SIGKILL once measured, or out of memory mid-way) cannot remove the work directory it made
  /// (kvs-follow's files stay by design): it makes it in the test's scratch, which goes with the test.
  private static func temporaryFiles(in scratch: ScratchDirectory) -> [String: String] { ["TMPDIR": scratch.path] }

  private func check(_ ended: ProcessRun.Ended, _ tool: String, _ row: ToolRow, limit: String, shortage: String) {
    let context = "\(tool) under \(limit) exited \(ended.status): \(ended.stderr)"
    XCTAssertEqual(ended.reason, .exit, "\(tool) under \(limit) died of signal \(ended.status): \(ended.stderr)")
    // The Swift runtime writes its own line before it traps on an allocation it cannot make, and no handler runs
    // before it: that one line may come before the sentence (the exit is still 75); any other fatal error is a bug.
    let fatal = ended.stderr.split(separator: "\n").filter { $0.contains("Fatal error") || $0.contains("crashed") }
    XCTAssertTrue(fatal.allSatisfy { $0.hasPrefix("Fatal error: failed to allocate") }, context)
    let expected = row.work.isEmpty ? row.noInput : row.worked
    XCTAssertTrue(expected.contains(ended.status) || ended.status == 75, context)
    if ended.status == 75 && !expected.contains(75) {
      XCTAssertTrue(ended.stderr.contains(shortage), "\(tool) under \(limit) names the limit: \(ended.stderr)")
    }
  }

  /// The tool's address space while it waits for its first record (or, for one that reads none, while it starts).
  private func idleVirtualKilobytes(_ tool: String, _ row: ToolRow, in scratch: ScratchDirectory) throws -> Int {
    let run = try ProcessRun.start(
      ToolInvocation.path(of: tool), row.arguments, environment: Self.temporaryFiles(in: scratch))
    defer { kill(run.pid, SIGKILL) }
    var peak = 0
    let deadline = Date().addingTimeInterval(row.readsRecords ? 10 : 1)
    while Date() < deadline, run.isRunning {
      if let status = try? String(contentsOfFile: "/proc/\(run.pid)/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmPeak:") }),
        let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
      {
        peak = max(peak, kilobytes)
        if row.readsRecords, peak > 0, ProcessRun.signalMasks(of: run.pid).map({ $0.caught != 0 }) == true { break }
      }
      usleep(20_000)
    }
    guard peak > 0 else { throw TestFailure("could not read \(tool)'s address space") }
    return peak
  }
}
