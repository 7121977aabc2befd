import CliplineRecords
import CliplineTestSupport
import Foundation
import XCTest

/// What the `kvs-follow` tests share: the testbed, a home, a follower with short windows, and the checks every one of
/// them makes. It holds no test of its own.
class FollowTestCase: XCTestCase {
  var testbed: KVSTestbed!
  var home: ScratchDirectory!

  override func setUpWithError() throws {
    testbed = try KVSTestbed()
    try testbed.cutMediaSessions(after: 2700)
    home = try ScratchDirectory("follow")
  }

  override func tearDownWithError() throws { try testbed?.cutMediaSessions(after: 2700) }

  /// `kvs-follow` on one stream: 2 s windows, a 2 s idle timeout, files unless `--to` is among `extra`.
  func follow(
    _ stream: String, _ extra: [String] = [], state: String? = nil, windows: String = "windows",
    name: String = "follow", environment: [String: String] = [:]
  ) throws -> FollowProcess {
    let arguments =
      [
        "--stream", stream, "--window", "2s", "--idle-timeout", "2s", "--state",
        state ?? "file://" + home.file("state"),
      ]
      + (extra.contains("--to") ? [] : ["--work-dir", home.file(windows)]) + extra
    return try FollowProcess(testbed, arguments, home: home, name: name, environment: environment)
  }

  static func seconds(_ text: String) -> Double { RFC3339.parse(text)!.timeIntervalSince1970 }

  /// Camera records of `streams`, as kvs-discover writes them.
  func cameraRecords(_ streams: [(name: String, arn: String)]) -> String {
    streams.map {
      #"{"camera_id":"\#($0.name)","stream_name":"\#($0.name)","stream_arn":"\#($0.arn)","status":"ACTIVE"}"#
    }
    .joined(separator: "\n") + "\n"
  }

  func cameras(in records: [Record]) -> Set<String> { Set(records.map { $0.text("camera_id") }) }

  /// The testbed's whole fragments of `stream` by number, in order.
  func fragmentNumbers(_ stream: String) throws -> [String] {
    try testbed.fragments(stream).filter { $0["complete"]?.boolValue == true }.compactMap { $0["number"]?.stringValue }
  }

  /// Every fragment between the first record's first and the last record's last is in exactly one window, in order.
  func assertEveryFragmentOnce(
    _ records: [Record], _ stream: String, file: StaticString = #filePath, line: UInt = #line
  ) throws {
    let numbers = try fragmentNumbers(stream)
    var expected = try XCTUnwrap(numbers.firstIndex(of: records[0].text("first_fragment_number")))
    for record in records {
      let count = Int(try XCTUnwrap(record["fragment_count"]?.integerValue))
      guard expected + count <= numbers.count else { return XCTFail("more fragments than the camera made") }
      XCTAssertEqual(record.text("first_fragment_number"), numbers[expected], file: file, line: line)
      XCTAssertEqual(record.text("last_fragment_number"), numbers[expected + count - 1], file: file, line: line)
      expected += count
    }
  }

  /// Windows that follow each other: each ends where the next starts.
  func assertContiguous(_ records: [Record], file: StaticString = #filePath, line: UInt = #line) {
    for (earlier, later) in zip(records, records.dropFirst()) {
      XCTAssertEqual(earlier.text("end_time"), later.text("start_time"), "none missing", file: file, line: line)
    }
  }

  /// Records of several runs with a window written twice kept once (it must be the same record each time).
  func merged(_ runs: [[Record]], file: StaticString = #filePath, line: UInt = #line) -> [Record] {
    var all: [Record] = []
    for record in runs.joined() {
      let key = record.text("camera_id") + record.text("start_time")
      if let seen = all.first(where: { $0.text("camera_id") + $0.text("start_time") == key }) {
        XCTAssertEqual(seen, record, "a window written twice is the same window", file: file, line: line)
      } else {
        all.append(record)
      }
    }
    return all.sorted { ($0.text("camera_id"), $0.text("start_time")) < ($1.text("camera_id"), $1.text("start_time")) }
  }

  /// A file that ffmpeg decodes without a word.
  func assertDecodes(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let decoded = try ToolInvocation.runProcess("/usr/bin/ffmpeg", ["-v", "error", "-i", path, "-f", "null", "-"])
    XCTAssertEqual(decoded.status, 0, path, file: file, line: line)
    XCTAssertEqual(decoded.stderr, "", "\(path) decodes without a complaint", file: file, line: line)
  }
}
