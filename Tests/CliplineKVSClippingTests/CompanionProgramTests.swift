import CliplineKVSClipping
import CliplineSystem
import Foundation
import XCTest

/// A companion program's answer becomes the tool's: its stdout, or its one error sentence and its exit code.
final class CompanionProgramTests: XCTestCase {
  var directory: String!

  override func setUpWithError() throws {
    directory = NSTemporaryDirectory() + "companion-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

  /// A shell script named `helper` beside a made-up tool in `directory`.
  func companion(_ script: String) throws -> CompanionProgram {
    let path = directory + "/helper"
    try Data("#!/bin/sh\n\(script)\n".utf8).write(to: URL(fileURLWithPath: path))
    chmod(path, 0o755)
    return try CompanionProgram(named: "helper", beside: directory + "/tool")
  }

  func testItsStdoutIsTheAnswer() throws {
    let helper = try companion(#"printf '%s\n' "$@""#)
    XCTAssertEqual(try helper.run(["duration", "a b"]), "duration\na b\n")
  }

  func testItsErrorSentenceAndExitCodeBecomeTheToolsOwn() throws {
    let helper = try companion("echo 'helper: error: clip.mp4 is empty' >&2; exit 65")
    XCTAssertThrowsError(try helper.run(["duration"])) { error in
      XCTAssertEqual((error as? CompanionFailure)?.description, "clip.mp4 is empty")
      XCTAssertEqual(ExitStatus.of(error), .dataError)
    }
  }

  func testAnExitCodeOutsideTheSharedOnesIsAFailureThatSaysSo() throws {
    let helper = try companion("exit 3")
    XCTAssertThrowsError(try helper.run(["join"])) { error in
      XCTAssertEqual(ExitStatus.of(error), .failure)
      XCTAssertEqual((error as? CompanionFailure)?.description, "helper join failed with exit status 3")
    }
  }

  func testAKilledCompanionIsAFailureNotACrash() throws {
    let helper = try companion("kill -KILL $$")
    XCTAssertThrowsError(try helper.run(["thumbnail"])) { error in
      XCTAssertEqual(ExitStatus.of(error), .failure)
      XCTAssertTrue("\(error)".contains("signal 9"), "\(error)")
    }
  }

  /// Its other stderr lines go to the caller's relay, in order, to be said in the tool's own format; the error
  /// sentence does not.
  func testItsOtherLinesGoToTheRelayAndItsErrorDoesNot() throws {
    let helper = try companion(
      "echo 'helper: warning: odd timestamps' >&2; echo '[mp4 @ 0x1] raw' >&2; echo 'helper: error: no frames' >&2; exit 65"
    )
    let relayed = LockedLines()
    XCTAssertThrowsError(try helper.run(["thumbnail"]) { relayed.append($0) }) { error in
      XCTAssertEqual((error as? CompanionFailure)?.description, "no frames")
    }
    XCTAssertEqual(relayed.lines, ["helper: warning: odd timestamps", "[mp4 @ 0x1] raw"])
  }

  /// Much more than a pipe holds on both streams at once: neither blocks the other.
  func testLongOutputOnBothStreamsDoesNotDeadlock() throws {
    let helper = try companion(
      "i=0; while [ $i -lt 4000 ]; do echo 'helper: warning: noise noise noise noise noise' >&2; echo line; i=$((i+1)); done"
    )
    XCTAssertEqual(try helper.run([]).split(separator: "\n").count, 4000)
  }

  func testAMissingCompanionIsAConfigurationError() throws {
    XCTAssertThrowsError(try CompanionProgram(named: "absent", beside: directory + "/tool")) { error in
      XCTAssertEqual(ExitStatus.of(error), .configuration)
      XCTAssertTrue("\(error)".contains(directory + "/absent"), "\(error)")
    }
  }
}

private final class LockedLines: @unchecked Sendable {  // `lock` guards `stored`
  private let lock = NSLock()
  private var stored: [String] = []
  func append(_ line: String) { lock.withLock { stored.append(line) } }
  var lines: [String] { lock.withLock { stored } }
}
