import CliplineTestSupport
import Foundation
import XCTest

/// Ctrl-C stops a shell loop (issue 26): a tool stopped by SIGINT cleans up as for any stop, then dies by SIGINT,
/// so the shell running it knows it was interrupted; SIGTERM keeps its exit code (75 while input was still due).
final class InterruptTests: XCTestCase {
  func testEveryToolStoppedBySIGINTWhileWaitingDiesBySIGINTAfterCleaningUp() throws {
    let scratch = try ScratchDirectory("sigint")
    for (tool, row) in try ToolRow.all(in: scratch).sorted(by: { $0.key < $1.key }) where row.readsRecords {
      let run = try ProcessRun.start(ToolInvocation.path(of: tool), row.arguments)
      try run.waitUntilHandling(hear: [SIGINT, SIGTERM], ignore: [], tool: tool)
      kill(run.pid, SIGINT)
      let result = try run.finish(within: 30)
      XCTAssertEqual(result.reason, .uncaughtSignal, "\(tool) after SIGINT exited \(result.status): \(result.stderr)")
      XCTAssertEqual(result.status, SIGINT, "\(tool) after SIGINT")
      XCTAssertTrue(result.stderr.contains("stopped by a signal"), "\(tool) cleaned up and said so: \(result.stderr)")
    }
  }

  func testSIGTERMKeepsItsExitCode() throws {
    let run = try ProcessRun.start(ToolInvocation.path(of: "record-shape"), ["--keep", "a"])
    try run.waitUntilHandling(hear: [SIGINT, SIGTERM], ignore: [], tool: "record-shape")
    kill(run.pid, SIGTERM)
    let result = try run.finish(within: 30)
    XCTAssertEqual(result.reason, .exit, "record-shape after SIGTERM ended by signal \(result.status)")
    XCTAssertEqual(result.status, 75, result.stderr)
  }

  /// Ctrl-C in a terminal sends SIGINT to the whole foreground process group: bash and the tool it waits for.
  /// bash leaves `for … do tool; done` only when the tool died of it; a tool exiting 75 would start the next turn.
  func testControlCStopsAShellLoop() throws {
    let loop = "for turn in 1 2 3; do \"$0\" --keep a; echo \"after $turn\"; done; echo finished"
    // bash in a process group of its own, as a terminal's foreground job is.
    let ownGroup = "import os, sys; os.setpgid(0, 0); os.execv('/bin/bash', ['bash', '-c'] + sys.argv[1:])"
    let run = try ProcessRun.start(
      "/usr/bin/python3", ["-c", ownGroup, loop, ToolInvocation.path(of: "record-shape")])
    var tool: Int32?
    try eventually(timeout: 30, "record-shape running under the loop's bash") {
      tool = Self.children(of: run.pid).first
      return tool != nil
    }
    let toolRun = tool!
    try eventually(timeout: 30, "record-shape handling SIGINT") {
      (ProcessRun.signalMasks(of: toolRun)?.caught ?? 0) & (1 << UInt64(SIGINT - 1)) != 0
    }
    kill(-run.pid, SIGINT)
    let result = try run.finish(within: 30)
    XCTAssertFalse(result.stdout.contains("after"), "the loop went on after Ctrl-C: \(result.stdout)")
    XCTAssertEqual(result.reason, .uncaughtSignal, "bash exited \(result.status): \(result.stderr)")
    XCTAssertEqual(result.status, SIGINT)
  }

  static func children(of pid: Int32) -> [Int32] {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    return tasks.flatMap { task in
      ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? "")
        .split(separator: " ").compactMap { Int32($0) }
    }
  }
}
