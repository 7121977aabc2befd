import CliplineTestSupport
import Foundation
import XCTest

/// Every tool, the same checks (issue 24): started with stdin closed, it does not read its own pipes and ends;
/// a SIGHUP (or SIGTERM) stops it by an exit code, never a signal; SIGUSR1, SIGUSR2 and SIGALRM do nothing.
/// One row per tool in `ToolRow.all`: a tool without a row fails `testEveryToolHasARow`.
final class EveryToolStopsTests: XCTestCase {
  func testEveryToolHasARow() throws {
    let rows = try ToolRow.all(in: ScratchDirectory("rows"))
    for tool in try ToolDocsTests.tools() {
      XCTAssertNotNil(rows[tool], "\(tool) has no row in ToolRow.all: add one, so it is run with the others")
    }
  }

  /// `tool <&-`: descriptor 0 is opened on /dev/null, so the tool sees no input (before, the first pipe it made
  /// became its stdin and it read itself for ever).
  func testStdinClosedEndsLikeEmptyInput() throws {
    let scratch = try ScratchDirectory("stdin-closed")
    for (tool, row) in try ToolRow.all(in: scratch).sorted(by: { $0.key < $1.key }) {
      let run = try ProcessRun.start(
        "/bin/sh", ["-c", "exec \"$@\" <&-", "sh", ToolInvocation.path(of: tool)] + row.arguments)
      let result = try row.end(run)
      XCTAssertEqual(result.reason, .exit, "\(tool) with stdin closed ended by signal \(result.status)")
      XCTAssertTrue(row.noInput.contains(result.status), "\(tool) <&- exited \(result.status): \(result.stderr)")
    }
  }

  /// A stop signal already pending when the tool starts (blocked by whoever started it) is heard: the tool
  /// unblocks the signals it handles, and stops by an exit code while its stdin stays open and silent.
  func testPendingHangupStopsEveryTool() throws {
    let scratch = try ScratchDirectory("pending-hup")
    for (tool, row) in try ToolRow.all(in: scratch).sorted(by: { $0.key < $1.key }) {
      let result = try ProcessRun.start(
        "/usr/bin/python3",
        ["-c", ProcessRun.pendingSignals, "HUP,USR1,USR2,ALRM", ToolInvocation.path(of: tool)]
          + row.arguments
      ).finish(within: 60)
      XCTAssertEqual(result.reason, .exit, "\(tool) with SIGHUP pending ended by signal \(result.status)")
      XCTAssertTrue(row.stopped.contains(result.status), "\(tool) stopped by SIGHUP exited \(result.status)")
      XCTAssertFalse(result.stderr.contains("Signal"), "\(tool) crashed: \(result.stderr)")
    }
  }

  /// SIGUSR1, SIGUSR2 and SIGALRM, pending at start, are ignored: the tool does its work as if they never came.
  /// Left blocked they would change nothing either (a tool that never unblocked them passed): so a tool that reads
  /// records is watched while it waits for its input, by when it must ignore them (and catch SIGHUP).
  func testOtherSignalsAreIgnored() throws {
    let scratch = try ScratchDirectory("ignored")
    for (tool, row) in try ToolRow.all(in: scratch).sorted(by: { $0.key < $1.key }) {
      let run = try ProcessRun.start(
        "/usr/bin/python3",
        ["-c", ProcessRun.pendingSignals, "USR1,USR2,ALRM", ToolInvocation.path(of: tool)] + row.arguments,
        stdin: row.readsRecords ? .heldOpen : .nullDevice)
      if row.readsRecords {
        try run.waitUntilHandling(hear: [SIGHUP], ignore: [SIGUSR1, SIGUSR2, SIGALRM], tool: tool)
        XCTAssertTrue(run.isRunning, "\(tool) died of a pending SIGUSR1, SIGUSR2 or SIGALRM")
        try run.closeInput()
      }
      let result = try row.end(run)
      XCTAssertEqual(result.reason, .exit, "\(tool) ended by signal \(result.status) (SIGUSR1/2/ALRM pending)")
      XCTAssertTrue(row.noInput.contains(result.status), "\(tool) exited \(result.status): \(result.stderr)")
    }
  }

  /// The same signals sent while a tool waits for its next record: SIGUSR1/2/ALRM change nothing, SIGHUP stops
  /// it as SIGTERM does (75: the input did not end), with the clean-up SIGTERM gets.
  func testHangupWhileWaitingForInput() throws {
    let scratch = try ScratchDirectory("hup-waiting")
    for (tool, row) in try ToolRow.all(in: scratch).sorted(by: { $0.key < $1.key }) where row.readsRecords {
      let run = try ProcessRun.start(ToolInvocation.path(of: tool), row.arguments)
      try run.waitUntilHandling(hear: [SIGHUP], ignore: [SIGUSR1, SIGUSR2, SIGALRM], tool: tool)
      for number in [SIGUSR1, SIGUSR2, SIGALRM] { kill(run.pid, number) }
      XCTAssertTrue(run.isRunning, "\(tool) died of SIGUSR1, SIGUSR2 or SIGALRM")
      kill(run.pid, SIGHUP)
      let result = try run.finish(within: 30)
      XCTAssertEqual(result.reason, .exit, "\(tool) ended by signal \(result.status) after SIGHUP")
      XCTAssertEqual(result.status, 75, "\(tool) after SIGHUP: \(result.stderr)")
      XCTAssertTrue(result.stderr.contains("stopped by a signal"), "\(tool) says why it stopped: \(result.stderr)")
    }
  }
}
