import CliplineCrypto
import CliplineRecords
import CliplineTestSupport
import Foundation
import XCTest

/// `kvs-follow` against the testbed, ffmpeg the camera through PutMedia: short fragments (0.53 s) and windows (2 s)
/// so that each test takes seconds.
final class FollowTests: FollowTestCase {
  func testWindowsAreAlignedContiguousAndDecodeAsTheCameraSentThem() throws {
    let stream = try testbed.createStream("follow").name
    let camera = try LiveCamera(testbed, stream: stream, LiveCamera.Settings(audio: true))
    defer { camera.stop() }
    let follower = try follow(stream)
    let records = Array(try follower.waitForRecords(5).prefix(5))
    let (status, seconds) = follower.terminate()
    XCTAssertEqual(status, 0, follower.stderr)
    XCTAssertLessThan(seconds, 2, "SIGTERM ends it within 2 s")

    assertContiguous(records)
    for record in records {
      let start = Self.seconds(record.text("start_time"))
      XCTAssertEqual(start.truncatingRemainder(dividingBy: 2), 0, "aligned to multiples of 2 s: \(record)")
      XCTAssertEqual(Self.seconds(record.text("end_time")) - start, 2)
      XCTAssertEqual(record.text("stream_name"), stream)
      XCTAssertEqual(record.text("camera_id"), stream)
      XCTAssertEqual(record.text("first_fragment_number").count, 47)
      let clipStart = Self.seconds(record.text("clip_start_time"))
      XCTAssertGreaterThanOrEqual(clipStart, start, "a window starts on its first fragment, at or after its start")
      if record != records[0] { XCTAssertLessThan(clipStart, start + 0.6, "the first fragment at or after its start") }
      let path = record.text("clip_path")
      XCTAssertEqual(record.text("clip_sha256"), try Digest.ofFile(path).hexString)
      XCTAssertEqual(Int64(try Data(contentsOf: URL(fileURLWithPath: path)).count), record["clip_bytes"]?.integerValue)
      try assertDecodes(path)
      let frames = try MediaCheck.videoFrames(path)
      let duration = try XCTUnwrap(record["clip_duration"]?.doubleValue)
      XCTAssertEqual(Double(frames), duration * 15, accuracy: 1.5, "\(path): \(frames) frames for \(duration) s")
    }
    // The middle windows are whole: 2 s of media each, nothing missing.
    for record in records.dropFirst().dropLast() {
      XCTAssertNil(record["missing_seconds"], "\(record)")
      XCTAssertEqual(record["clip_duration"]?.doubleValue ?? 0, 2, accuracy: 0.6)
    }
    try assertEveryFragmentOnce(records, stream)
    try assertChunkAndTheContactSheetRead(records[2])
  }

  /// `chunk` cuts a window like any source, and `contact-sheet` draws its chunks.
  func assertChunkAndTheContactSheetRead(_ window: Record) throws {
    let request =
      #"{"process_id":7,"cloud_stream_path":"\#(window.text("clip_path"))","#
      + #""video_preprocessing":{"chunk_duration":1}}"# + "\n"
    let chunks = try ToolInvocation.run("chunk", ["-o", home.file("chunks")], stdin: request)
    XCTAssertEqual(chunks.status, 0, chunks.stderr)
    XCTAssertEqual(chunks.stdoutLines.count, 2, "a 2 s window in 1 s chunks: \(chunks.stdout)")
    let sheet = try ToolInvocation.run("contact-sheet", ["-o", home.file("sheet.png")], stdin: chunks.stdout)
    XCTAssertEqual(sheet.status, 0, sheet.stderr)
    XCTAssertTrue(sheet.stdout.contains(#""tiles":2"#), sheet.stdout)
  }
}

extension FollowTests {
  func testKillNineAndResumeLeaveNoWindowOutAndCutTheSameBytes() throws {
    let stream = try testbed.createStream("resume").name
    let camera = try LiveCamera(testbed, stream: stream)
    defer { camera.stop() }
    let first = try follow(stream, name: "first")
    try first.waitForRecords(3)
    first.kill()
    let second = try follow(stream, name: "second")
    try second.waitForRecords(3)
    XCTAssertEqual(second.terminate().status, 0)
    XCTAssertTrue(second.stderr.contains("resuming after fragment"), second.stderr)
    // A window whose record was written just before the kill, its position not yet saved, comes again: the same.
    let all = merged([first.records, second.records])
    XCTAssertLessThanOrEqual(first.records.count + second.records.count - all.count, 1)
    assertContiguous(all)
    try assertEveryFragmentOnce(all, stream)

    // The same windows cut again from KVS's archive by a follower that never saw them: the same bytes.
    let target = all[1].text("start_time")
    let again = try follow(
      stream, ["--start", target], state: "file://" + home.file("state-again"), windows: "again", name: "again")
    try again.waitForRecords(all.count)
    _ = again.terminate()
    let recut = Dictionary(again.records.map { ($0.text("start_time"), $0) }) { first, _ in first }
    for record in all.dropFirst() {
      let same = try XCTUnwrap(recut[record.text("start_time")], "window \(record.text("start_time")) not cut again")
      XCTAssertEqual(same.text("clip_sha256"), record.text("clip_sha256"), "window \(record.text("start_time"))")
      XCTAssertEqual(same.text("first_fragment_number"), record.text("first_fragment_number"))
      XCTAssertEqual(same["fragment_count"], record["fragment_count"])
    }
  }
}

extension FollowTests {
  /// SIGHUP stops it as SIGTERM does: the windows recorded have their position saved, the one under way is left,
  /// and the next follower goes on from there with no window twice and none missing.
  func testSIGHUPSavesThePositionAndTheNextFollowerGoesOnWithNoWindowTwice() throws {
    let stream = try testbed.createStream("hangup").name
    let camera = try LiveCamera(testbed, stream: stream)
    defer { camera.stop() }
    let first = try follow(stream, name: "first")
    try first.waitForRecords(3)
    let (status, seconds) = first.terminate(by: SIGHUP)
    XCTAssertEqual(first.tool.process.terminationReason, .exit, "SIGHUP is handled, not a death by it")
    XCTAssertEqual(status, 0, first.stderr)
    XCTAssertLessThan(seconds, 2, "SIGHUP ends it within 2 s, as SIGTERM does")
    let second = try follow(stream, name: "second")
    try second.waitForRecords(2)
    XCTAssertEqual(second.terminate().status, 0, second.stderr)
    XCTAssertTrue(second.stderr.contains("resuming after fragment"), second.stderr)
    let all = merged([first.records, second.records])
    XCTAssertEqual(first.records.count + second.records.count, all.count, "no window recorded twice")
    assertContiguous(all)
    try assertEveryFragmentOnce(all, stream)
  }
}

extension MediaCheck {
  /// Video frames in a file, counted by decoding (ffprobe -count_frames).
  static func videoFrames(_ path: String) throws -> Int {
    let probe = try ToolInvocation.runProcess(
      "/usr/bin/ffprobe",
      [
        "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries", "stream=nb_read_frames", "-of",
        "csv=p=0", path,
      ])
    return Int(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
  }
}
