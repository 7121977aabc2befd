import CliplineRecords
import CliplineTestSupport
import Foundation
import XCTest

/// Times as Python producers write them reach `kvs-clip` (issue 23, item 10): a space for the `T`, no offset (UTC)
/// or pydantic v1's `+00:00` are one instant, and the clip's local file is named for it in key form, as `--to`
/// names keys (item 11); a day or offset that does not exist is refused (65, item 14), never rolled over.
final class ClipTimeSpellingTests: XCTestCase {
  private func task(_ stream: (name: String, arn: String), _ start: String, _ end: String) -> String {
    #"{"camera_id":"cam","stream_arn":"\#(stream.arn)","stream_name":"\#(stream.name)","start_time":"\#(start)","end_time":"\#(end)","process_id":501,"inference_config":{}}"#
      + "\n"
  }

  func testPythonsSpellingsOfOneInstantGiveOneClipNamedInKeyForm() throws {
    let testbed = try KVSTestbed()
    let work = try ScratchDirectory("clip-times")
    let stream = try testbed.createStream("times", video: try FixtureVideo.path(KVSTestbed.camera))
    for (start, end) in [
      ("2026-02-26 14:30:10", "2026-02-26 14:30:20"), ("2026-02-26 14:30:10+00:00", "2026-02-26 14:30:20+00:00"),
      ("2026-02-26T16:30:10+02:00", "2026-02-26T14:30:20Z"),
    ] {
      let result = try testbed.run(
        "kvs-clip", ["--work-dir", work.path], stdin: task(stream, start, end), home: work.path)
      XCTAssertEqual(result.status, 0, "\(start): \(result.stderr)")
      let record = try XCTUnwrap(try result.records().first, start)
      XCTAssertEqual(record["clip_path"], .string(work.path + "/cam/2026-02-26T14-30-10Z.mp4"), start)
      XCTAssertEqual(try MediaCheck.duration(record["clip_path"]?.stringValue ?? ""), 10, accuracy: 0.1, start)
    }
    let names = try FileManager.default.contentsOfDirectory(atPath: work.path + "/cam").filter { $0.hasSuffix(".mp4") }
    XCTAssertEqual(names, ["2026-02-26T14-30-10Z.mp4"], "one instant, one file")
  }

  func testImpossibleInstantsAreRefusedNotRolledOver() throws {
    let testbed = try KVSTestbed()
    let work = try ScratchDirectory("clip-impossible")
    let stream = try testbed.createStream("impossible", video: try FixtureVideo.path(KVSTestbed.camera))
    try testbed.reset()
    for (start, end) in [
      ("2026-02-30T14:30:10Z", "2026-02-30T14:30:20Z"), ("2026-02-26T14:30:10+24:00", "2026-02-26T14:30:20Z"),
      ("2026-02-26 24:30:10", "2026-02-26 24:30:20"),
    ] {
      let result = try testbed.run(
        "kvs-clip", ["--work-dir", work.path], stdin: task(stream, start, end), home: work.path)
      XCTAssertEqual(result.status, 65, "\(start): \(result.stderr)")
      XCTAssertEqual(result.stdout, "", start)
      XCTAssertTrue(result.stderr.contains("start_time"), "names the field: \(result.stderr)")
    }
    XCTAssertEqual(try testbed.requests()["GetClip"] ?? 0, 0, "nothing asked of KVS")
  }
}
