import CliplineCrypto
import CliplineKVS
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// `kvs-clip` end to end against the KVS testbed: real MP4s cut from fixture videos, checked with ffprobe/ffmpeg.
final class ClipTests: XCTestCase {
  static let camera = KVSTestbed.camera
  /// 70 s of 0.2 s fragments: a 60 s range holds 300 fragments, over GetClip's 200.
  static let dense = FixtureVideo.Spec(seconds: 70, width: 160, height: 120, fps: 25, gopFrames: 5)

  private func task(_ stream: (name: String, arn: String), _ start: String, _ end: String, extra: String = "") -> String
  {
    #"{"camera_id":"cam_\#(stream.name)","stream_arn":"\#(stream.arn)","stream_name":"\#(stream.name)","start_time":"\#(start)","end_time":"\#(end)","process_id":501,"inference_config":{"vlm_provider":"bedrock"}\#(extra)}"#
      + "\n"
  }

  func testASixtySecondClipHasTheRightDurationAndFirstFrame() throws {
    let testbed = try KVSTestbed()
    let work = try ScratchDirectory("kvs-clip")
    let video = try FixtureVideo.path(Self.camera)
    let stream = try testbed.createStream("clip", video: video)
    let result = try testbed.run(
      "kvs-clip", ["--work-dir", work.path, "--thumbnail"],
      stdin: task(stream, "2026-02-26T14:30:10Z", "2026-02-26T14:31:10Z"), home: work.path)
    XCTAssertEqual(result.status, 0, result.stderr)
    let record = try XCTUnwrap(try result.records().first)
    // Pass-through of the task's own fields.
    XCTAssertEqual(record["process_id"], .integer(501))
    XCTAssertEqual(record["inference_config"], .object(["vlm_provider": .string("bedrock")]))
    let path = try XCTUnwrap(record["clip_path"]?.stringValue)
    XCTAssertEqual(path, work.path + "/cam_\(stream.name)/2026-02-26T14-30-10Z.mp4")
    XCTAssertEqual(try MediaCheck.duration(path), 60, accuracy: 0.1)
    XCTAssertEqual(record["clip_duration"]?.doubleValue ?? 0, 60, accuracy: 0.1)
    XCTAssertEqual(record["clip_start_time"], .string("2026-02-26T14:30:10Z"))
    XCTAssertEqual(
      RFC3339.parse(record["clip_end_time"]?.stringValue ?? "")?.timeIntervalSince1970 ?? 0,
      RFC3339.parse("2026-02-26T14:31:10Z")!.timeIntervalSince1970, accuracy: 0.1)
    XCTAssertEqual(try MediaCheck.frameMD5(path), try MediaCheck.frameMD5(video, at: 10))
    let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber
    XCTAssertEqual(record["clip_bytes"]?.integerValue, size?.int64Value)
    XCTAssertEqual(record["clip_sha256"], .string(try Digest.ofFile(path).hexString))
    // The thumbnail is a 320-wide JPEG of the first frame.
    let thumbnail = try XCTUnwrap(record["thumbnail_path"]?.stringValue)
    let probe = try FixtureVideo.probe(thumbnail)
    let streams = try XCTUnwrap(probe["streams"] as? [[String: Any]])
    XCTAssertEqual(streams.first?["codec_name"] as? String, "mjpeg")
    XCTAssertEqual(streams.first?["width"] as? Int, 320)
    XCTAssertEqual(streams.first?["height"] as? Int, 240)
    // One log line per task, with the timings of each step.
    XCTAssertTrue(result.stderr.contains("status ") && result.stderr.contains("download "), result.stderr)
    let calls = try testbed.requests()
    XCTAssertEqual(calls["GetClip"], 1)
    XCTAssertEqual(calls["DescribeStream"], 1)
  }

  func testARangeOverTheCapIsSplitAndJoinedIntoOneCleanMP4() throws {
    let testbed = try KVSTestbed()
    let work = try ScratchDirectory("kvs-clip")
    let video = try FixtureVideo.path(Self.dense)
    let stream = try testbed.createStream("dense", video: video)
    let result = try testbed.run(
      "kvs-clip", ["--work-dir", work.path],
      stdin: task(stream, "2026-02-26T14:30:05Z", "2026-02-26T14:31:05Z"), home: work.path)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(try testbed.requests()["GetClip"], 2, "300 fragments take two GetClip requests")
    let record = try XCTUnwrap(try result.records().first)
    let path = try XCTUnwrap(record["clip_path"]?.stringValue)
    XCTAssertEqual(try MediaCheck.duration(path), 60, accuracy: 0.1)
    let decoded = try MediaCheck.decodeAll(path)
    XCTAssertEqual(decoded.frames, 1500, "60 s at 25 fps, no frame lost or doubled at the seam")
    XCTAssertEqual(decoded.errors, "", "decoding the joined clip complained")
    XCTAssertEqual(try MediaCheck.frameMD5(path), try MediaCheck.frameMD5(video, at: 5))
    // The frame right after the seam (the first of the second piece, at 5 + 40 s) is the source's.
    let seam = try ToolInvocation.runProcess(
      "/usr/bin/ffmpeg",
      [
        "-v", "error", "-i", path, "-map", "0:v:0", "-vf", "select=eq(n\\,1000)", "-frames:v", "1",
        "-f", "framemd5", "-",
      ])
    let seamHash = seam.stdoutLines.last { !$0.hasPrefix("#") }?.split(separator: ",").last
      .map { $0.trimmingCharacters(in: .whitespaces) }
    XCTAssertEqual(seamHash, try MediaCheck.frameMD5(video, at: 45))
    // The pieces are gone; only the clip is left.
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: work.path + "/cam_\(stream.name)"),
      ["2026-02-26T14-30-05Z.mp4"])
    XCTAssertTrue(result.stderr.contains("2 requests") && result.stderr.contains("join "), result.stderr)
  }

  func testPadStartKeepsTheFragmentHoldingTheStart() throws {
    let testbed = try KVSTestbed()
    let work = try ScratchDirectory("kvs-clip")
    let video = try FixtureVideo.path(Self.camera)
    let stream = try testbed.createStream("pad", video: video)
    let plain = try testbed.run(
      "kvs-clip", ["--work-dir", work.path + "/plain"],
      stdin: task(stream, "2026-02-26T14:30:11Z", "2026-02-26T14:30:21Z"), home: work.path)
    XCTAssertEqual(plain.status, 0, plain.stderr)
    XCTAssertEqual(try plain.records().first?["clip_start_time"], .string("2026-02-26T14:30:12Z"))
    let padded = try testbed.run(
      "kvs-clip", ["--work-dir", work.path + "/padded", "--pad-start"],
      stdin: task(stream, "2026-02-26T14:30:11Z", "2026-02-26T14:30:21Z"), home: work.path)
    XCTAssertEqual(padded.status, 0, padded.stderr)
    let record = try XCTUnwrap(try padded.records().first)
    XCTAssertEqual(record["clip_start_time"], .string("2026-02-26T14:30:10Z"))
    XCTAssertEqual(try MediaCheck.frameMD5(record["clip_path"]!.stringValue!), try MediaCheck.frameMD5(video, at: 10))
  }

  func testAnInactiveStreamIsSkippedQuietly() throws {
    let testbed = try KVSTestbed()
    let work = try ScratchDirectory("kvs-clip")
    let stream = try testbed.createStream("offline", video: try FixtureVideo.path(Self.camera), status: "UPDATING")
    let result = try testbed.run(
      "kvs-clip", ["--work-dir", work.path],
      stdin: task(stream, "2026-02-26T14:30:10Z", "2026-02-26T14:31:10Z"), home: work.path)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(result.stdout, "")
    XCTAssertTrue(result.stderr.contains("warning") && result.stderr.contains("UPDATING, not ACTIVE"), result.stderr)
    XCTAssertNil(try testbed.requests()["GetClip"])
  }

  func testThrottlingIsSurvived() throws {
    let testbed = try KVSTestbed()
    let work = try ScratchDirectory("kvs-clip")
    let stream = try testbed.createStream("throttled", video: try FixtureVideo.path(Self.camera))
    try testbed.inject("DescribeStream", error: "ClientLimitExceededException", count: 2)
    try testbed.inject("GetDataEndpoint", error: "ClientLimitExceededException", count: 1)
    try testbed.inject("GetClip", error: "ClientLimitExceededException", count: 3)
    let result = try testbed.run(
      "kvs-clip", ["--work-dir", work.path],
      stdin: task(stream, "2026-02-26T14:30:10Z", "2026-02-26T14:30:20Z"), home: work.path)
    XCTAssertEqual(result.status, 0, result.stderr)
    let record = try XCTUnwrap(try result.records().first)
    XCTAssertEqual(try MediaCheck.duration(record["clip_path"]!.stringValue!), 10, accuracy: 0.1)
    XCTAssertEqual(try testbed.requests()["GetClip"], 4)

    try testbed.inject("GetClip", error: "ClientLimitExceededException", count: 20)
    let gaveUp = try testbed.run(
      "kvs-clip", ["--work-dir", work.path, "--attempts", "2"],
      stdin: task(stream, "2026-02-26T14:30:20Z", "2026-02-26T14:30:30Z"), home: work.path)
    XCTAssertEqual(gaveUp.status, 75, gaveUp.stderr)
    XCTAssertTrue(gaveUp.stderr.contains("kept throttling GetClip"), gaveUp.stderr)
    XCTAssertEqual(gaveUp.stdout, "")
  }

  func testEveryErrorHasItsSentenceAndExitCode() throws {
    let testbed = try KVSTestbed()
    let work = try ScratchDirectory("kvs-clip")
    let stream = try testbed.createStream("errors", video: try FixtureVideo.path(Self.camera))
    func clip(_ input: String, _ arguments: [String] = []) throws -> ToolResult {
      try testbed.run("kvs-clip", ["--work-dir", work.path] + arguments, stdin: input, home: work.path)
    }
    let inRange = task(stream, "2026-02-26T14:30:10Z", "2026-02-26T14:30:20Z")

    // start_time >= end_time: rejected before any call.
    try testbed.reset()
    let backwards = try clip(task(stream, "2026-02-26T14:31:00Z", "2026-02-26T14:30:00Z"))
    XCTAssertEqual(backwards.status, 65, backwards.stderr)
    XCTAssertTrue(backwards.stderr.contains("(line 1)") && backwards.stderr.contains("end_time"), backwards.stderr)
    XCTAssertEqual(try testbed.requests(), [:], "a bad task cost an API call")

    // The stream does not exist.
    let missing = try clip(
      task(
        (name: "no-such-stream", arn: "arn:aws:kinesisvideo:us-east-1:123456789012:stream/no-such-stream/1"),
        "2026-02-26T14:30:10Z", "2026-02-26T14:30:20Z"))
    XCTAssertEqual(missing.status, 66, missing.stderr)
    XCTAssertTrue(missing.stderr.contains("does not exist"), missing.stderr)

    // The stream exists, the range holds no media.
    let empty = try clip(task(stream, "2026-02-27T09:00:00Z", "2026-02-27T09:01:00Z"))
    XCTAssertEqual(empty.status, 65, empty.stderr)
    XCTAssertTrue(empty.stderr.contains("no fragments in the requested time range"), empty.stderr)

    // KVS's own ResourceNotFound from GetClip for a range (the data plane's wording) is the range, not the stream.
    try testbed.inject(
      "GetClip", error: "ResourceNotFoundException", status: 404,
      message: "No fragments found in the requested time range.")
    let noFragments = try clip(inRange)
    XCTAssertEqual(noFragments.status, 65, noFragments.stderr)
    XCTAssertTrue(noFragments.stderr.contains("no fragments"), noFragments.stderr)

    // Media KVS cannot clip: AWS's message reaches the operator.
    try testbed.inject(
      "GetClip", error: "MissingCodecPrivateDataException",
      message: "No codec private data was found in the first fragment")
    let codec = try clip(inRange)
    XCTAssertEqual(codec.status, 65, codec.stderr)
    XCTAssertTrue(codec.stderr.contains("No codec private data was found"), codec.stderr)
    XCTAssertTrue(codec.stderr.contains("MissingCodecPrivateDataException"), codec.stderr)

    try testbed.inject("DescribeStream", error: "NotAuthorizedException", status: 401, message: "Unauthorized")
    let refused = try clip(inRange)
    XCTAssertEqual(refused.status, 77, refused.stderr)
    XCTAssertTrue(refused.stderr.contains("not authorized"), refused.stderr)

    // Flags: a backwards range is a usage error before anything runs.
    let flags = try clip(
      "",
      [
        "--camera-id", "c", "--stream-name", stream.name, "--start-time", "2026-02-26T14:31:00Z",
        "--end-time", "2026-02-26T14:30:00Z",
      ])
    XCTAssertEqual(flags.status, 64, flags.stderr)

    // Several tasks: a failure is reported with its line, the others go on, the exit code is the first failure's.
    let mixed = try clip(inRange + task(stream, "2026-02-27T09:00:00Z", "2026-02-27T09:01:00Z") + inRange)
    XCTAssertEqual(mixed.status, 65, mixed.stderr)
    XCTAssertEqual(try mixed.records().count, 2)
    XCTAssertTrue(mixed.stderr.contains("(line 2)"), mixed.stderr)
  }

  /// A task names both; KVS looks the stream up by its ARN, so the error must name the ARN that was not found,
  /// not the name (which may well exist).
  func testAMissingStreamARNIsNamedInTheError() throws {
    let testbed = try KVSTestbed()
    let work = try ScratchDirectory("kvs-clip")
    let stream = try testbed.createStream("arn-missing", video: try FixtureVideo.path(Self.camera))
    let missingARN = "arn:aws:kinesisvideo:us-east-1:123456789012:stream/gone-elsewhere/7"
    let result = try testbed.run(
      "kvs-clip", ["--work-dir", work.path],
      stdin: task((name: stream.name, arn: missingARN), "2026-02-26T14:30:10Z", "2026-02-26T14:30:20Z"),
      home: work.path)
    XCTAssertEqual(result.status, 66, result.stderr)
    XCTAssertTrue(result.stderr.contains("does not exist"), result.stderr)
    XCTAssertTrue(result.stderr.contains(missingARN), result.stderr)
    XCTAssertFalse(result.stderr.contains("\"\(stream.name)\""), result.stderr)
  }

  /// GetClip takes at most 24 h; a longer task is refused with its line before any call, exactly 24 h is asked for.
  func testATaskOverTwentyFourHoursIsRefusedBeforeAnyCall() throws {
    let testbed = try KVSTestbed()
    let work = try ScratchDirectory("kvs-clip")
    let stream = try testbed.createStream("day", video: try FixtureVideo.path(Self.camera))
    try testbed.reset()
    let long = try testbed.run(
      "kvs-clip", ["--work-dir", work.path],
      stdin: task(stream, "2026-02-26T14:30:00Z", "2026-02-27T14:30:00.001Z"), home: work.path)
    XCTAssertEqual(long.status, 65, long.stderr)
    XCTAssertTrue(long.stderr.contains("(line 1)"), long.stderr)
    XCTAssertTrue(long.stderr.contains("start_time") && long.stderr.contains("end_time"), long.stderr)
    XCTAssertTrue(long.stderr.contains("24 h"), long.stderr)
    XCTAssertEqual(try testbed.requests(), [:], "a task over 24 h cost an API call")
    XCTAssertEqual(try long.records().count, 0)

    let day = try testbed.run(
      "kvs-clip", ["--work-dir", work.path],
      stdin: task(stream, "2026-02-26T14:30:00Z", "2026-02-27T14:30:00Z"), home: work.path)
    XCTAssertEqual(day.status, 0, day.stderr)
    XCTAssertEqual(try testbed.requests()["GetClip"], 1)
  }

  func testOneTaskFromFlagsAndTheDataEndpointIsCached() throws {
    let testbed = try KVSTestbed()
    let work = try ScratchDirectory("kvs-clip")
    let stream = try testbed.createStream("flags", video: try FixtureVideo.path(Self.camera))
    let single = try testbed.run(
      "kvs-clip",
      [
        "--work-dir", work.path, "--camera-id", "front", "--stream-name", stream.name, "--start-time",
        "2026-02-26T14:30:00Z", "--end-time", "2026-02-26T14:30:30Z", "--thumbnail-at", "5s",
      ],
      home: work.path)
    XCTAssertEqual(single.status, 0, single.stderr)
    let record = try XCTUnwrap(try single.records().first)
    XCTAssertEqual(record["clip_path"], .string(work.path + "/front/2026-02-26T14-30-00Z.mp4"))
    XCTAssertNotNil(record["thumbnail_path"]?.stringValue)

    try testbed.reset()
    let three = (0..<3).map { task(stream, "2026-02-26T14:30:\($0 * 2 + 1)0Z", "2026-02-26T14:30:\($0 * 2 + 2)0Z") }
      .joined()
    let many = try testbed.run("kvs-clip", ["--work-dir", work.path], stdin: three, home: work.path)
    XCTAssertEqual(many.status, 0, many.stderr)
    XCTAssertEqual(try many.records().count, 3)
    // One GetDataEndpoint per API (GET_CLIP, LIST_FRAGMENTS) for the whole run, not one per task.
    XCTAssertEqual(try testbed.requests()["GetDataEndpoint"], 2)
  }

  func testHLSURLs() throws {
    let testbed = try KVSTestbed()
    let work = try ScratchDirectory("kvs-clip")
    let stream = try testbed.createStream("hls", video: try FixtureVideo.path(Self.camera))
    let onDemand = try testbed.run(
      "kvs-clip", ["--hls", "--hls-expires", "10m"],
      stdin: task(stream, "2026-02-26T14:30:10Z", "2026-02-26T14:31:10Z"),
      home: work.path)
    XCTAssertEqual(onDemand.status, 0, onDemand.stderr)
    let record = try XCTUnwrap(try onDemand.records().first)
    XCTAssertTrue(record["hls_url"]?.stringValue?.contains("getHLSMasterPlaylist.m3u8?SessionToken=") == true)
    XCTAssertEqual(record["hls_playback_mode"], .string("ON_DEMAND"))
    XCTAssertNil(record["clip_path"])
    let live = try testbed.run(
      "kvs-clip", ["--hls", "--hls-mode", "live"],
      stdin: #"{"camera_id":"c","stream_name":"\#(stream.name)"}"# + "\n", home: work.path)
    XCTAssertEqual(live.status, 0, live.stderr)
    XCTAssertEqual(try live.records().first?["hls_playback_mode"], .string("LIVE"))
    let empty = try testbed.run(
      "kvs-clip", ["--hls"], stdin: task(stream, "2026-02-27T09:00:00Z", "2026-02-27T09:01:00Z"), home: work.path)
    XCTAssertEqual(empty.status, 65, empty.stderr)
  }

  func testSIGTERMStopsBetweenTasksWithExit75AndLeavesNoHalfClip() throws {
    let testbed = try KVSTestbed()
    let work = try ScratchDirectory("kvs-clip")
    let stream = try testbed.createStream("sigterm", video: try FixtureVideo.path(Self.camera))
    // GetClip keeps being throttled, so the first task sits in its retries when the signal comes.
    try testbed.inject("GetClip", error: "ClientLimitExceededException", count: 100)
    let tool = try RunningTool(
      "kvs-clip", ["--work-dir", work.path], environment: testbed.environment(home: work.path),
      removingEnvironment: KVSTestbed.removedEnvironment)
    let tasks =
      task(stream, "2026-02-26T14:30:10Z", "2026-02-26T14:30:20Z")
      + task(stream, "2026-02-26T14:30:20Z", "2026-02-26T14:30:30Z")
    try tool.write(tasks)
    try tool.closeInput()
    Thread.sleep(forTimeInterval: 1.0)
    let signalled = Date()
    tool.terminate()
    let output = tool.finish()
    XCTAssertLessThan(Date().timeIntervalSince(signalled), 15)
    XCTAssertEqual(tool.status, 75)
    XCTAssertEqual(output, Data())
    let clips = (try? FileManager.default.contentsOfDirectory(atPath: work.path + "/cam_\(stream.name)")) ?? []
    XCTAssertEqual(clips, [], "a clip was left behind")
  }

  func testServerTimestampsSelectTheSameMediaByArrivalTime() throws {
    let testbed = try KVSTestbed()
    let work = try ScratchDirectory("kvs-clip")
    let video = try FixtureVideo.path(Self.camera)
    // KVS received every fragment 5 s after the camera stamped it.
    let stream = try testbed.createStream("server", video: video, tags: ["clipline:server_offset": "5"])
    let result = try testbed.run(
      "kvs-clip",
      [
        "--work-dir", work.path, "--timestamps", "server", "--camera-id", "c", "--stream-arn", stream.arn,
        "--start-time", "2026-02-26T14:30:15Z", "--end-time", "2026-02-26T14:30:25Z",
      ],
      home: work.path)
    XCTAssertEqual(result.status, 0, result.stderr)
    let record = try XCTUnwrap(try result.records().first)
    XCTAssertEqual(record["clip_start_time"], .string("2026-02-26T14:30:15Z"))
    XCTAssertEqual(try MediaCheck.frameMD5(record["clip_path"]!.stringValue!), try MediaCheck.frameMD5(video, at: 10))
  }
}
