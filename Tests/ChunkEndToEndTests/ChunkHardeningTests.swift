import CliplineChunking
import CliplineCrypto
import CliplineMedia
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// Requests and sources that used to crash, hang or pass damage on (issue 9): each gets a sentence and its exit code.
final class ChunkHardeningTests: XCTestCase {
  private func run(_ request: String, _ arguments: [String] = [], in scratch: ScratchDirectory) throws -> ToolResult {
    try ToolInvocation.run("chunk", ["-o", scratch.path] + arguments, stdin: request + "\n")
  }

  func testEveryNumberOfARequestHasBounds() throws {
    let source = try FixtureVideo.path(.init(seconds: 2))
    let scratch = try ScratchDirectory("bounds")
    let cases: [(String, String)] = [
      (#""chunk_duration":1e-300"#, #"field "video_preprocessing.chunk_duration" must be between 1 and 86400 s"#),
      (
        #""chunk_duration":0.5"#,
        #"field "video_preprocessing.chunk_duration" must be between 1 and 86400 s, found 0.5"#
      ),
      (
        #""chunk_duration":1e9"#,
        #"field "video_preprocessing.chunk_duration" must be between 1 and 86400 s, found 1000000000"#
      ),
      (#""fps":1e9"#, #"field "video_preprocessing.fps" must be between 1 and 240, found 1000000000"#),
      (#""fps":0.2"#, #"field "video_preprocessing.fps" must be between 1 and 240"#),
      (
        #""width":100000,"height":240"#, #"field "video_preprocessing.width" must be between 16 and 7680, found 100000"#
      ),
      (#""width":320,"height":100000"#, #"field "video_preprocessing.height" must be between 16 and 7680"#),
      (#""width":8,"height":240"#, #"field "video_preprocessing.width" must be between 16 and 7680, found 8"#),
      (#""width":321,"height":240"#, #"field "video_preprocessing.width" must be an even number"#),
    ]
    for (fields, message) in cases {
      let result = try run(#"{"cloud_stream_path":"\#(source)","video_preprocessing":{\#(fields)}}"#, in: scratch)
      XCTAssertEqual(result.status, ExitStatus.dataError.rawValue, "\(fields): \(result.stderr)")
      XCTAssertTrue(result.stderr.contains("chunk: error (line 1): " + message), "\(fields): \(result.stderr)")
      XCTAssertEqual(result.stdout, "", fields)
    }
    for flag in ["1e-300", "0.5", "100000"] {
      let result = try ToolInvocation.run("chunk", ["--source", source, "--chunk-duration", flag])
      XCTAssertEqual(result.status, ExitStatus.usage.rawValue, "--chunk-duration \(flag): \(result.stderr)")
      XCTAssertTrue(result.stderr.contains("--chunk-duration must be between 1 s and 24 h"), result.stderr)
    }
  }

  func testThePlanIsCountedNotListed() {
    // A trillion one-second chunks: the plan knows how many, and where each starts, without storing any.
    let plan = ChunkPlanner(chunkDuration: 1).boundaries(forDuration: 1e12)
    XCTAssertEqual(plan.count, 999_999_999_999)
    XCTAssertEqual(plan[plan.count - 1], 999_999_999_999)
    XCTAssertEqual(plan.shifted(by: 0.5)[0], 1.5)
  }

  func testAnOutputThatCannotBeOpenedIsASentenceNotACrash() throws {
    let source = try FixtureVideo.path(.init(seconds: 4, gopFrames: 25))
    let scratch = try ScratchDirectory("blocked")
    try FileManager.default.createDirectory(atPath: scratch.file("p/chunk_001.mp4"), withIntermediateDirectories: true)
    let result = try run(
      #"{"process_id":"p","cloud_stream_path":"\#(source)","video_preprocessing":{"chunk_duration":2}}"#, in: scratch)
    XCTAssertEqual(result.status, ExitStatus.failure.rawValue, result.stderr)
    XCTAssertTrue(
      result.stderr.contains("chunk: error (line 1): cannot create \(scratch.file("p/chunk_001.mp4")): Is a directory"),
      result.stderr)
    XCTAssertEqual(result.stdout, "")
  }

  func testRotationLanguageAndColourReachEveryChunk() throws {
    let scratch = try ScratchDirectory("rotation")
    let landscape = scratch.file("landscape.mp4")
    let portrait = scratch.file("portrait.mp4")
    try MediaAssertions.makeWithFFmpeg([
      "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=6", "-f", "lavfi",
      "-i", "sine=duration=6", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p",
      "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709",
      "-c:a", "aac", "-metadata:s:a", "language=fra", landscape,
    ])
    // FFmpeg 5.1 writes a display matrix for `rotate` only when it copies the stream.
    try MediaAssertions.makeWithFFmpeg(
      ["-i", landscape, "-c", "copy", "-metadata:s:v", "rotate=90", portrait])
    XCTAssertEqual(try Self.rotation(portrait), 90, "the fixture is portrait")
    for mode in ["copy", "transcode"] {
      let result = try run(
        #"{"process_id":"\#(mode)","cloud_stream_path":"\#(portrait)","video_preprocessing":{"chunk_duration":2}}"#,
        ["--mode", mode], in: scratch)
      XCTAssertEqual(result.status, 0, result.stderr)
      let paths = try result.records().map { try $0.requireString("chunk_path") }
      XCTAssertEqual(paths.count, 3, mode)
      for path in paths {
        XCTAssertEqual(try Self.rotation(path), 90, "\(mode): \(path) keeps its display matrix")
        let streams = try FixtureVideo.probe(path)["streams"] as? [[String: Any]] ?? []
        let audio = streams.first { $0["codec_type"] as? String == "audio" }
        XCTAssertEqual((audio?["tags"] as? [String: Any])?["language"] as? String, "fra", "\(mode): \(path)")
        let video = streams.first { $0["codec_type"] as? String == "video" }
        XCTAssertEqual(video?["color_primaries"] as? String, "bt709", "\(mode): \(path)")
      }
    }
  }

  func testHEVCKeepsItsHvc1TagAndPassesTheDamageCheck() throws {
    let scratch = try ScratchDirectory("hevc")
    let source = scratch.file("hvc1.mp4")
    try MediaAssertions.makeWithFFmpeg(
      [
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4", "-c:v", "libx265",
        "-preset", "ultrafast", "-x265-params", "keyint=25:min-keyint=25:log-level=error", "-tag:v", "hvc1", source,
      ])
    let result = try run(
      #"{"process_id":"h","cloud_stream_path":"\#(source)","video_preprocessing":{"chunk_duration":2}}"#,
      ["--mode", "copy"],
      in: scratch)
    XCTAssertEqual(result.status, 0, result.stderr)
    let paths = try result.records().map { try $0.requireString("chunk_path") }
    XCTAssertEqual(paths.count, 2)
    for path in paths {
      XCTAssertEqual(try MediaAssertions.videoStream(path)["codec_tag_string"] as? String, "hvc1", path)
      try MediaAssertions.assertDecodesCleanly(path)
    }
  }

  /// ffprobe's rotation of the first video stream, from its display matrix.
  private static func rotation(_ path: String) throws -> Int? {
    let streams = try FixtureVideo.probe(path)["streams"] as? [[String: Any]] ?? []
    let video = streams.first { $0["codec_type"] as? String == "video" }
    let sideData = video?["side_data_list"] as? [[String: Any]] ?? []
    return sideData.compactMap { $0["rotation"] as? Int }.first
  }

  func testASourceDamagedInTheMiddleFailsAndKeepsOnlyGoodChunks() throws {
    let source = try FixtureVideo.path(.init(seconds: 20, gopFrames: 25))
    let scratch = try ScratchDirectory("damaged")
    let damaged = scratch.file("damaged.mp4")
    try FileManager.default.copyItem(atPath: source, toPath: damaged)
    let size = try FileManager.default.attributesOfItem(atPath: damaged)[.size] as! Int
    let dd = try ToolInvocation.runProcess(
      "/usr/bin/dd", ["if=/dev/urandom", "of=\(damaged)", "bs=1", "seek=\(size / 2)", "count=20000", "conv=notrunc"])
    XCTAssertEqual(dd.status, 0, dd.stderr)
    let result = try run(
      #"{"process_id":"d","cloud_stream_path":"\#(damaged)","video_preprocessing":{"chunk_duration":2}}"#,
      ["--mode", "copy"], in: scratch)
    XCTAssertEqual(result.status, ExitStatus.dataError.rawValue, result.stderr)
    XCTAssertTrue(result.stderr.contains("damaged.mp4 is damaged at"), result.stderr)
    try MediaAssertions.assertOnlyEmittedChunksRemain(result, in: scratch.file("d"))
  }

  func testAChunkShorterThanTheKeyframeIntervalNeverMakesAnEmptyChunk() throws {
    // Keyframes every 4 s, and audio that starts 1.5 s before the video (MPEG-TS keeps that offset): 1 s chunks
    // can only be cut at keyframes, and the first one must not be the audio alone.
    let scratch = try ScratchDirectory("gop")
    let source = scratch.file("late-video.ts")
    try MediaAssertions.makeWithFFmpeg([
      "-f", "lavfi", "-i", "sine=duration=13.5", "-itsoffset", "1.5", "-f", "lavfi",
      "-i", "testsrc2=size=320x240:rate=25:duration=12", "-map", "1:v", "-map", "0:a", "-c:v", "libx264",
      "-preset", "ultrafast", "-g", "100", "-keyint_min", "100", "-sc_threshold", "0", "-c:a", "aac", source,
    ])
    let result = try run(
      #"{"process_id":"g","cloud_stream_path":"\#(source)","video_preprocessing":{"chunk_duration":1}}"#,
      ["--mode", "copy", "--verbose"], in: scratch)
    XCTAssertEqual(result.status, 0, result.stderr)
    let records = try result.records()
    XCTAssertGreaterThan(records.count, 1)
    for record in records {
      let path = try record.requireString("chunk_path")
      XCTAssertGreaterThan(record["chunk_duration"]?.doubleValue ?? 0, 0.5, "\(path) has a real length")
      XCTAssertTrue(try MediaAssertions.streamKinds(path).contains("video"), "\(path) has video")
      try MediaAssertions.assertStartsWithKeyframe(path)
    }
    XCTAssertTrue(
      result.stderr.contains("into \(records.count) chunks"), "the summary counts what was written: \(result.stderr)")
  }

  func testHashAndSizeAreThoseOfTheFileOnDiskInBothModes() throws {
    let source = try FixtureVideo.path(.init(seconds: 6, gopFrames: 25))
    let scratch = try ScratchDirectory("hash")
    for mode in ["copy", "transcode"] {
      let result = try run(
        #"{"process_id":"\#(mode)","cloud_stream_path":"\#(source)","video_preprocessing":{"chunk_duration":2}}"#,
        ["--mode", mode], in: scratch)
      XCTAssertEqual(result.status, 0, result.stderr)
      let records = try result.records()
      XCTAssertEqual(records.count, 3, mode)
      for record in records {
        let path = try record.requireString("chunk_path")
        XCTAssertEqual(record["chunk_hash"]?.stringValue, try Digest.ofFile(path).hexString, "\(mode): \(path)")
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
        XCTAssertEqual(record["chunk_bytes"]?.integerValue, size.map(Int64.init), "\(mode): \(path)")
        let boxes = try MediaAssertions.topLevelBoxes(path)
        XCTAssertLessThan(
          boxes.firstIndex(of: "moov") ?? .max, boxes.firstIndex(of: "mdat") ?? -1, "\(path): the index leads")
        try MediaAssertions.assertDecodesCleanly(path)
      }
    }
  }

  func testFileSystemErrorsAreOneSentenceWithTheRightCode() throws {
    let source = try FixtureVideo.path(.init(seconds: 2))
    let scratch = try ScratchDirectory("fs")
    let longName = String(repeating: "p", count: 300)
    let tooLong = try run(#"{"process_id":"\#(longName)","cloud_stream_path":"\#(source)"}"#, in: scratch)
    XCTAssertEqual(tooLong.status, ExitStatus.dataError.rawValue, tooLong.stderr)
    XCTAssertTrue(
      tooLong.stderr.contains(
        #"chunk: error (line 1): field "process_id" is longer than the 255 bytes a directory name can have"#),
      tooLong.stderr)

    // A read-only file system (the tests run as root, to whom a chmod'ed directory is still writable).
    let readOnly = scratch.file("ro")
    try FileManager.default.createDirectory(atPath: readOnly, withIntermediateDirectories: true)
    let mounted = try ToolInvocation.runProcess(
      "/usr/bin/mount", ["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", readOnly])
    XCTAssertEqual(mounted.status, 0, "this test mounts a read-only tmpfs: \(mounted.stderr)")
    defer { _ = try? ToolInvocation.runProcess("/usr/bin/umount", [readOnly]) }
    let result = try ToolInvocation.run(
      "chunk", ["-o", readOnly], stdin: #"{"process_id":"r","cloud_stream_path":"\#(source)"}"# + "\n")
    XCTAssertEqual(result.status, ExitStatus.permissionDenied.rawValue, result.stderr)
    XCTAssertTrue(
      result.stderr.contains(
        "chunk: error (line 1): cannot create the chunk directory \(readOnly)/r: Read-only file system"),
      result.stderr)
    XCTAssertFalse(result.stderr.contains("Error Domain"), result.stderr)

    // A full disk is temporary (75): a tmpfs far smaller than one chunk.
    let full = scratch.file("full")
    try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
    let small = try ToolInvocation.runProcess("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", full])
    XCTAssertEqual(small.status, 0, "this test mounts a small tmpfs: \(small.stderr)")
    defer { _ = try? ToolInvocation.runProcess("/usr/bin/umount", [full]) }
    let big = try FixtureVideo.path(.init(seconds: 4, width: 640, height: 360, gopFrames: 25))
    let noSpace = try ToolInvocation.run(
      "chunk", ["-o", full], stdin: #"{"process_id":"n","cloud_stream_path":"\#(big)"}"# + "\n")
    XCTAssertEqual(noSpace.status, ExitStatus.temporaryFailure.rawValue, noSpace.stderr)
    XCTAssertTrue(
      noSpace.stderr.contains("chunk: error (line 1): cannot write \(full)/n/chunk_001.mp4: No space left on device"),
      noSpace.stderr)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: full + "/n"), [], "the partial chunk is deleted")
  }
}
