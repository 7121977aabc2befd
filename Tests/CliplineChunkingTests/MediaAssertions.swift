import Foundation
import CliplineTestSupport
import XCTest

/// What the chunk tests check on every chunk file, with ffprobe and ffmpeg as independent judges.
enum MediaAssertions {
  /// The first video frame is a keyframe at time 0.
  static func assertStartsWithKeyframe(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let result = try ToolInvocation.runProcess(
      "/usr/bin/ffprobe",
      ["-v", "error", "-select_streams", "v:0", "-read_intervals", "%+#1", "-show_entries", "frame=key_frame,pts_time",
       "-of", "csv=p=0", path])
    let first = result.stdout.split(separator: "\n").first.map(String.init) ?? ""
    XCTAssertEqual(first.split(separator: ",").first, "1", "\(path) does not start with a keyframe: \(first)", file: file, line: line)
  }

  /// Decoding the whole file produces no error at all.
  static func assertDecodesCleanly(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let result = try ToolInvocation.runProcess("/usr/bin/ffmpeg", ["-v", "error", "-i", path, "-f", "null", "-"])
    XCTAssertEqual(result.status, 0, file: file, line: line)
    XCTAssertEqual(result.stderr, "", "\(path) does not decode cleanly", file: file, line: line)
  }

  static func duration(_ path: String) throws -> Double {
    let format = try FixtureVideo.probe(path)["format"] as? [String: Any]
    return Double(format?["duration"] as? String ?? "") ?? -1
  }

  static func videoStream(_ path: String) throws -> [String: Any] {
    let streams = try FixtureVideo.probe(path)["streams"] as? [[String: Any]] ?? []
    return streams.first { $0["codec_type"] as? String == "video" } ?? [:]
  }

  static func streamKinds(_ path: String) throws -> [String] {
    let streams = try FixtureVideo.probe(path)["streams"] as? [[String: Any]] ?? []
    return streams.compactMap { $0["codec_type"] as? String }
  }
}
