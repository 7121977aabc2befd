import Foundation
import XCTest

/// What the chunk tests check on every chunk file, with ffprobe and ffmpeg as independent judges.
public enum MediaAssertions {
  /// Runs the ffmpeg CLI (quietly) to make a fixture; its failure fails the test with ffmpeg's message.
  public static func makeWithFFmpeg(_ arguments: [String]) throws {
    let result = try ToolInvocation.runProcess("/usr/bin/ffmpeg", ["-v", "error"] + arguments)
    guard result.status == 0 else { throw TestFailure("ffmpeg could not make a fixture: \(result.stderr)") }
  }

  /// The first video frame is a keyframe at time 0.
  public static func assertStartsWithKeyframe(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws
  {
    let result = try ToolInvocation.runProcess(
      "/usr/bin/ffprobe",
      [
        "-v", "error", "-select_streams", "v:0", "-read_intervals", "%+#1", "-show_entries", "frame=key_frame,pts_time",
        "-of", "csv=p=0", path,
      ])
    let first = result.stdout.split(separator: "\n").first.map(String.init) ?? ""
    XCTAssertEqual(
      first.split(separator: ",").first, "1", "\(path) does not start with a keyframe: \(first)", file: file, line: line
    )
  }

  /// Decoding the whole file produces no error at all.
  public static func assertDecodesCleanly(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let result = try ToolInvocation.runProcess("/usr/bin/ffmpeg", ["-v", "error", "-i", path, "-f", "null", "-"])
    XCTAssertEqual(result.status, 0, file: file, line: line)
    XCTAssertEqual(result.stderr, "", "\(path) does not decode cleanly", file: file, line: line)
  }

  /// A failed request keeps the chunks it reported, each whole, and leaves nothing else in `directory`.
  public static func assertOnlyEmittedChunksRemain(
    _ result: ToolResult, in directory: String, file: StaticString = #filePath, line: UInt = #line
  ) throws {
    let emitted = try result.records().compactMap { $0["chunk_path"]?.stringValue }
    XCTAssertFalse(emitted.isEmpty, "chunks before the failure were emitted", file: file, line: line)
    let onDisk = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    XCTAssertEqual(
      onDisk, emitted.map { ($0 as NSString).lastPathComponent }, "no partial chunk is left behind", file: file,
      line: line)
    for path in emitted { try assertDecodesCleanly(path, file: file, line: line) }
  }

  /// The file's top-level MP4 boxes in order (`ftyp`, `moov`, `mdat` for a file whose index leads).
  public static func topLevelBoxes(_ path: String) throws -> [String] {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    var boxes: [String] = []
    var offset = 0
    while offset + 8 <= bytes.count {
      var length = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
      if length == 1 { length = bytes[(offset + 8)..<(offset + 16)].reduce(0) { $0 << 8 | Int($1) } }
      boxes.append(String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self))
      guard length >= 8 else { break }
      offset += length
    }
    return boxes
  }

  public static func duration(_ path: String) throws -> Double {
    let format = try FixtureVideo.probe(path)["format"] as? [String: Any]
    return Double(format?["duration"] as? String ?? "") ?? -1
  }

  public static func videoStream(_ path: String) throws -> [String: Any] {
    let streams = try FixtureVideo.probe(path)["streams"] as? [[String: Any]] ?? []
    return streams.first { $0["codec_type"] as? String == "video" } ?? [:]
  }

  public static func streamKinds(_ path: String) throws -> [String] {
    let streams = try FixtureVideo.probe(path)["streams"] as? [[String: Any]] ?? []
    return streams.compactMap { $0["codec_type"] as? String }
  }
}
