import CliplineRecords
import CliplineTestSupport
import Foundation
import XCTest

/// The scheduled way on a live camera: `kvs-clip`'s ListFragments and GetClip of what PutMedia received (what
/// bench/live compares kvs-follow with).
final class ClipOfLiveMediaTests: XCTestCase {
  var testbed: KVSTestbed!

  override func setUpWithError() throws { testbed = try KVSTestbed() }

  func testGetClipCutsWhatPutMediaReceived() throws {
    let stream = try testbed.createStream("clip-live").name
    let camera = try LiveCamera(testbed, stream: stream)
    defer { camera.stop() }
    let made = try testbed.waitForFragments(stream, count: 6)
    let start = try XCTUnwrap(made[1]["server"]?.doubleValue)
    let end = try XCTUnwrap(made[5]["server"]?.doubleValue)
    func time(_ seconds: Double) -> String { RFC3339.format(Date(timeIntervalSince1970: seconds), fractionalDigits: 3) }
    let home = try ScratchDirectory("clip-live")
    let task =
      #"{"camera_id":"cam","stream_name":"\#(stream)","start_time":"\#(time(start - 0.01))","#
      + #""end_time":"\#(time(end - 0.01))"}"#
    let clip = try testbed.run(
      "kvs-clip", ["--timestamps", "server", "--work-dir", home.path], stdin: task + "\n", home: home.path)
    XCTAssertEqual(clip.status, 0, clip.stderr)
    let record = try XCTUnwrap(try clip.records().first)
    let expected = made[1...4].compactMap { $0["duration"]?.doubleValue }.reduce(0, +)
    XCTAssertEqual(record["clip_duration"]?.doubleValue ?? 0, expected, accuracy: 0.1, "the four fragments")
    let decoded = try ToolInvocation.runProcess(
      "/usr/bin/ffmpeg", ["-v", "error", "-i", record["clip_path"]?.stringValue ?? "", "-f", "null", "-"])
    XCTAssertEqual(decoded.stderr, "")
  }

}
