import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// kvs-clip runs its FFmpeg steps in kvs-clip-media, installed next to it: kvs-clip itself does not load FFmpeg.
final class ClipMediaCompanionTests: XCTestCase {
  static let camera = FixtureVideo.Spec(seconds: 70, width: 160, height: 120, fps: 25, gopFrames: 50)

  func linkedLibraries(_ tool: String) throws -> String {
    let result = try ToolInvocation.runProcess("/usr/bin/ldd", [ToolInvocation.path(of: tool)])
    XCTAssertEqual(result.status, 0, result.stderr)
    return result.stdout
  }

  /// No binary links FFmpeg (its tools load it when they open media: FFmpegLoadingTests); kvs-clip never does.
  func testKVSClipDoesNotLinkFFmpeg() throws {
    let clip = try linkedLibraries("kvs-clip")
    XCTAssertFalse(clip.contains("libavcodec") || clip.contains("libavformat"), clip)
  }

  /// Without its companion, kvs-clip still streams a clip into storage (no FFmpeg step), and a task that needs
  /// one fails with one sentence naming what is missing, exit 78, and no record.
  func testWithoutItsCompanionAStepThatNeedsFFmpegSaysWhatIsMissing() throws {
    let testbed = try KVSTestbed()
    let work = try ScratchDirectory("kvs-clip-alone")
    let alone = work.file("bin/kvs-clip")
    try FileManager.default.createDirectory(atPath: work.file("bin"), withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: ToolInvocation.path(of: "kvs-clip"), toPath: alone)
    let stream = try testbed.createStream("alone", video: try FixtureVideo.path(Self.camera))
    let task =
      #"{"camera_id":"cam","stream_name":"\#(stream.name)","start_time":"2026-02-26T14:30:05Z","end_time":"2026-02-26T14:30:35Z"}"#

    let thumbnail = try testbed.run(
      alone, ["--work-dir", work.file("clips"), "--thumbnail"], stdin: task, home: work.path)
    XCTAssertEqual(thumbnail.status, 78, thumbnail.stderr)
    XCTAssertEqual(thumbnail.stdout, "")
    let errors = thumbnail.stderr.split(separator: "\n").filter { $0.contains("error") }
    XCTAssertEqual(errors.count, 1, thumbnail.stderr)
    let expected = (work.file("bin/kvs-clip-media") as NSString).standardizingPath
    XCTAssertTrue(thumbnail.stderr.contains("is not at \(expected)"), thumbnail.stderr)

    let streamed = try testbed.run(
      alone,
      ["--work-dir", work.file("streamed"), "--to", "file://\(work.file("store"))/{camera_id}.mp4=cloud_stream_path"],
      stdin: task, home: work.path)
    XCTAssertEqual(streamed.status, 0, streamed.stderr)
    let record = try XCTUnwrap(try streamed.records().first)
    XCTAssertEqual(record["cloud_stream_path"], .string("file://\(work.file("store"))/cam.mp4"))
    XCTAssertEqual(try MediaCheck.duration(work.file("store/cam.mp4")), 30, accuracy: 0.1)
  }

  /// What the companion says besides its answer (its warnings, FFmpeg's raw lines) comes out in kvs-clip's own
  /// format: under `--log-format json` every stderr line is a JSON object of kvs-clip's, none is text.
  func testTheCompanionsLinesComeOutInTheToolsLogFormat() throws {
    let testbed = try KVSTestbed()
    let work = try ScratchDirectory("kvs-clip-json")
    try FileManager.default.createDirectory(atPath: work.file("bin"), withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: ToolInvocation.path(of: "kvs-clip"), toPath: work.file("bin/kvs-clip"))
    // The real companion, after a warning of its own and a line as FFmpeg writes them.
    let script = """
      #!/bin/sh
      echo 'kvs-clip-media: warning: the pieces' "'" 'timestamps jump' >&2
      echo '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x5581] stream 0, timescale not set' >&2
      exec \(ToolInvocation.path(of: "kvs-clip-media")) "$@"

      """
    try Data(script.utf8).write(to: URL(fileURLWithPath: work.file("bin/kvs-clip-media")))
    chmod(work.file("bin/kvs-clip-media"), 0o755)
    let stream = try testbed.createStream("json-log", video: try FixtureVideo.path(Self.camera))
    let task =
      #"{"camera_id":"cam","stream_name":"\#(stream.name)","start_time":"2026-02-26T14:30:05Z","end_time":"2026-02-26T14:30:35Z"}"#

    let result = try testbed.run(
      work.file("bin/kvs-clip"), ["--work-dir", work.file("clips"), "--thumbnail", "--log-format", "json"],
      stdin: task, home: work.path)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertNotNil(try result.records().first?["thumbnail_path"])
    let lines = try result.stderr.split(separator: "\n").map { try Record(json: String($0)) }
    XCTAssertEqual(lines.compactMap { $0["tool"]?.stringValue }.filter { $0 != "kvs-clip" }, [], result.stderr)
    let said = lines.map { "\($0["level"]?.stringValue ?? ""): \($0["message"]?.stringValue ?? "")" }
    XCTAssertTrue(said.contains("warning: kvs-clip-media: the pieces ' timestamps jump"), "\(said)")
    XCTAssertTrue(
      said.contains("warning: kvs-clip-media: [mov,mp4,m4a,3gp,3g2,mj2 @ 0x5581] stream 0, timescale not set"),
      "\(said)")
  }

  /// The companion's own errors: one sentence each, the shared exit codes.
  func testTheCompanionRefusesWhatIsNotMediaWithOneSentence() throws {
    let work = try ScratchDirectory("kvs-clip-media")
    let text = work.file("notes.mp4")
    try Data("not a video\n".utf8).write(to: URL(fileURLWithPath: text))
    let garbage = try ToolInvocation.run("kvs-clip-media", ["duration", text])
    XCTAssertEqual(garbage.status, 65, garbage.stderr)
    XCTAssertEqual(garbage.stderr.split(separator: "\n").count, 1, garbage.stderr)
    XCTAssertTrue(garbage.stderr.contains(text), garbage.stderr)
    let missing = try ToolInvocation.run("kvs-clip-media", ["duration", work.file("none.mp4")])
    XCTAssertEqual(missing.status, 66, missing.stderr)

    let video = try FixtureVideo.path(Self.camera)
    let duration = try ToolInvocation.run("kvs-clip-media", ["duration", video])
    XCTAssertEqual(duration.status, 0, duration.stderr)
    XCTAssertEqual(Double(duration.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, 70, accuracy: 0.1)
    let joined = work.file("joined.mp4")
    let join = try ToolInvocation.run("kvs-clip-media", ["join", "-o", joined, video, video])
    XCTAssertEqual(join.status, 0, join.stderr)
    XCTAssertEqual(try MediaCheck.duration(joined), 140, accuracy: 0.2)
  }
}
