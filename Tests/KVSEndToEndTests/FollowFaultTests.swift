import CliplineRecords
import CliplineTestSupport
import Foundation
import XCTest

/// `kvs-follow` through the testbed's faults: sessions KVS cuts, errors inside the 200, a camera gone quiet, a fourth
/// reader, an endpoint that moved, a codec change; and bad input, one sentence each.
final class FollowFaultTests: FollowTestCase {
  func testCutSessionsAndErrorTagsLoseNoFragment() throws {
    let stream = try testbed.createStream("cuts").name
    let camera = try LiveCamera(testbed, stream: stream)
    defer { camera.stop() }
    // The first session ends with error 5000 after two fragments; every session ends after 3 s.
    try testbed.cutMediaSessions(after: 3)
    try testbed.mediaError(stream, code: 5000, after: 2)
    let follower = try follow(stream)
    let records = try follower.waitForRecords(5)
    XCTAssertEqual(follower.terminate().status, 0)
    assertContiguous(records)
    try assertEveryFragmentOnce(records, stream)
    XCTAssertGreaterThanOrEqual(try testbed.requests()["GetMedia"] ?? 0, 4, "sessions were opened again")
    XCTAssertTrue(follower.stderr.contains("error code 5000"), follower.stderr)
  }

  func testAQuietCameraIsAGapSaidOnceAndNoTightLoop() throws {
    let stream = try testbed.createStream("quiet").name
    let camera = try LiveCamera(testbed, stream: stream)
    defer { camera.stop() }
    let follower = try follow(stream)
    try follower.waitForRecords(2)
    try testbed.reset()
    try testbed.quiet(stream, for: 7)
    let records = try follower.waitForRecords(6, timeout: 40)
    XCTAssertEqual(follower.terminate().status, 0)
    let gaps = records.dropFirst().filter { $0["missing_seconds"] != nil }
    XCTAssertFalse(gaps.isEmpty, "a window of the quiet time says so: \(records)")
    let missing = gaps.compactMap { $0["missing_seconds"]?.doubleValue }.reduce(0, +)
    XCTAssertGreaterThan(missing, 3)
    let said = follower.stderr.components(separatedBy: "no media for").count - 1
    XCTAssertEqual(said, 1, "the gap is said once: \(follower.stderr)")
    XCTAssertTrue(follower.stderr.contains("media again after"), follower.stderr)
    // 7 s quiet with a 2 s idle timeout and backoff: a handful of GetMedia calls, not a loop.
    let calls = try testbed.requests()["GetMedia"] ?? 0
    XCTAssertLessThan(calls, 12, "\(calls) GetMedia calls in the quiet time")
  }

  func testAFourthReaderWaitsAndAMovedEndpointIsAskedAgain() throws {
    let stream = try testbed.createStream("limits").name
    let camera = try LiveCamera(testbed, stream: stream)
    defer { camera.stop() }
    try testbed.inject("GetMedia", error: "ConnectionLimitExceededException", count: 2)
    try testbed.inject("GetMedia", error: "InvalidEndpointException", count: 1)
    let follower = try follow(stream)
    try follower.waitForRecords(2)
    XCTAssertEqual(follower.terminate().status, 0)
    let requests = try testbed.requests()
    XCTAssertGreaterThanOrEqual(requests["GetDataEndpoint"] ?? 0, 2, "asked again after InvalidEndpointException")
    XCTAssertTrue(follower.stderr.contains("ConnectionLimitExceededException"), follower.stderr)
  }

  func testACodecChangeSplitsTheWindowIntoFilesThatEachDecode() throws {
    let stream = try testbed.createStream("codec").name
    let follower = try follow(stream)
    var wide = LiveCamera.Settings()
    wide.seconds = 5
    let first = try LiveCamera(testbed, stream: stream, wide)
    first.waitUntilDone()
    var small = LiveCamera.Settings(size: "160x96")
    small.seconds = 6
    let second = try LiveCamera(testbed, stream: stream, small)
    defer { second.stop() }
    let records = try follower.waitForRecords(6, timeout: 40)
    XCTAssertEqual(follower.terminate().status, 0)
    var sizes: Set<String> = []
    var sizeOf: [String: String] = [:]
    for record in records {
      let probe = try ToolInvocation.runProcess(
        "/usr/bin/ffprobe",
        [
          "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0",
          record.text("clip_path"),
        ])
      let size = probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
      sizes.insert(size)
      sizeOf[record.text("start_time")] = size
      try assertDecodes(record.text("clip_path"))
    }
    XCTAssertEqual(sizes, ["320,180", "160,96"])
    let starts = records.map { $0.text("start_time") }
    XCTAssertEqual(Set(starts).count, starts.count, "each part has a key of its own")
    // Where both cameras' fragments fell in one window, it was split: its parts have their own sizes.
    for window in Dictionary(grouping: records, by: { $0.text("end_time") }).values where window.count > 1 {
      XCTAssertEqual(Set(window.map { sizeOf[$0.text("start_time")]! }).count, window.count, "\(window)")
    }
  }

  func testBadInputIsOneSentenceAndItsExitCode() throws {
    func run(_ arguments: [String], stdin: String = "") throws -> ToolResult {
      try testbed.run(
        "kvs-follow", arguments + ["--state", "file://" + home.file("state")], stdin: stdin, home: home.path)
    }
    for window in ["0s", "25h"] {
      let refused = try run(["--stream", "x", "--window", window])
      XCTAssertEqual(refused.status, 64, window)
      XCTAssertTrue(refused.stderr.contains("--window must be between 1s and 24h"), refused.stderr)
    }
    let missing = try run(["--stream", "no-such-stream-\(UUID().uuidString.prefix(6))", "--window", "2s"])
    XCTAssertEqual(missing.status, 66)
    XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)
    XCTAssertTrue(missing.stderr.contains("does not exist"), missing.stderr)
    XCTAssertTrue(try run(["--window", "2s", "--start", "yesterday"]).stderr.contains("--start must be"))
  }

  func testAStreamNotActiveIsSkippedAndABadLineIsNamed() throws {
    let inactive = try testbed.createStream("inactive", status: "UPDATING")
    let records = """
      {"camera_id":"a","stream_name":"\(inactive.name)","stream_arn":"\(inactive.arn)","status":"ACTIVE"}
      {"camera_id":"b"}

      """
    let follower = try FollowProcess(
      testbed, ["--window", "2s", "--state", "file://" + home.file("state"), "--work-dir", home.file("w")],
      home: home)
    try follower.tool.write(records)
    let deadline = Date().addingTimeInterval(20)
    while !follower.stderr.contains("skipped") || !follower.stderr.contains("line 2"), Date() < deadline {
      Thread.sleep(forTimeInterval: 0.2)
    }
    XCTAssertEqual(follower.terminate().status, 0)
    XCTAssertTrue(follower.stderr.contains("is UPDATING, not ACTIVE; skipped"), follower.stderr)
    XCTAssertTrue(follower.stderr.contains("line 2"), follower.stderr)
    XCTAssertTrue(follower.stderr.contains("stream_name"), follower.stderr)
    XCTAssertTrue(follower.records.isEmpty)
  }
}
