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
      let result = try ProcessRun.start(
        "/bin/sh", ["-c", "exec \"$@\" <&-", "sh", ToolInvocation.path(of: tool)] + row.arguments
      ).finish(within: 60)
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
  func testOtherSignalsAreIgnored() throws {
    let scratch = try ScratchDirectory("ignored")
    for (tool, row) in try ToolRow.all(in: scratch).sorted(by: { $0.key < $1.key }) {
      let result = try ProcessRun.start(
        "/usr/bin/python3",
        ["-c", ProcessRun.pendingSignals, "USR1,USR2,ALRM", ToolInvocation.path(of: tool)]
          + row.arguments, stdin: .nullDevice
      ).finish(within: 60)
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

/// How one tool is run by these tests, and what it may exit with.
struct ToolRow {
  var arguments: [String]
  /// Reads records on stdin (so it waits for them, and ends when stdin ends).
  var readsRecords = true
  /// Exit codes when there is no input (stdin closed or empty).
  var noInput: Set<Int32> = [0]
  /// Exit codes when a stop signal came before or during the run.
  var stopped: Set<Int32> = [75]

  /// One row per tool; the services come from the environment (RabbitMQ), the rest is made here.
  static func all(in scratch: ScratchDirectory) throws -> [String: ToolRow] {
    let broker = try TestServices.require("AMQP_URL")
    let queue = "every-tool-\(UUID().uuidString.prefix(8))"
    let declared = try ToolInvocation.run("amqp-pub", ["-u", broker, "-q", queue, "--declare"])
    guard declared.status == 0 else { throw TestFailure("cannot declare \(queue): \(declared.stderr)") }
    let video = try FixtureVideo.path(FixtureVideo.Spec(seconds: 2, audio: false))
    // Nothing listens on port 9 of loopback: a tool that must reach a service fails at once (69).
    let nowhere = "http://127.0.0.1:9"
    let fakeKeys = [
      "--access-key-id", "AKIDEXAMPLE", "--secret-access-key", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    ]
    return [
      "chunk": ToolRow(arguments: ["-o", scratch.file("chunks")]),
      "blob-put": ToolRow(arguments: ["--to", "file://\(scratch.path)/put/{a}=p"]),
      "blob-get": ToolRow(
        arguments: ["file://\(video)", "-o", scratch.file("got.mp4")], readsRecords: false, stopped: [0, 75]),
      "blob-rm": ToolRow(arguments: ["--field", "p"]),
      "amqp-pub": ToolRow(arguments: ["-u", broker, "-q", queue]),
      "amqp-consume": ToolRow(
        arguments: ["-u", broker, "-q", queue, "--idle-timeout", "1s"], readsRecords: false, stopped: [0]),
      "amqp-dlq": ToolRow(arguments: ["list", "-u", broker, "-q", queue], readsRecords: false, stopped: [0, 75]),
      "kvs-discover": ToolRow(
        arguments: ["--endpoint-url", nowhere, "--region", "us-east-1"] + fakeKeys, readsRecords: false,
        noInput: [69], stopped: [69, 75]),
      "kvs-clip": ToolRow(arguments: ["--endpoint-url", nowhere, "--region", "us-east-1"] + fakeKeys),
      "kvs-clip-media": ToolRow(arguments: ["duration", video], readsRecords: false, stopped: [0, 75]),
      // Follows until told to stop (then 0, leaving the window under way); no camera on stdin: nothing to follow.
      "kvs-follow": ToolRow(
        arguments: [
          "--window", "10s", "--state", "file://\(scratch.path)/follow-state", "--endpoint-url", nowhere, "--region",
          "us-east-1",
        ] + fakeKeys, readsRecords: false, stopped: [0]),
      "gql-mutate": ToolRow(arguments: ["--op", "create-chunk", "--endpoint", nowhere]),
      "record-shape": ToolRow(arguments: ["--keep", "a"]),
      "m0-submit": ToolRow(arguments: ["-u", broker]),
      "contact-sheet": ToolRow(arguments: ["-o", scratch.file("sheet.png")], noInput: [65]),
    ]
  }
}
