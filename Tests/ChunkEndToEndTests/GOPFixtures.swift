import CliplineTestSupport
import Foundation
import XCTest

/// Small sources of the GOP structures copy mode must cut without losing a picture (or refuse), made once per test
/// process with the ffmpeg CLI: 8 s of a 320×240 test pattern at 25 fps, a random access point every second.
enum GOPFixture: String, CaseIterable {
  /// H.264, closed GOPs with two B-frames: every keyframe is an IDR whose decode time is 80 ms before its picture.
  case bFrames = "bframes.mp4"
  /// H.264 with B-frames and variable frame rate: 25 fps for 4 s, then 12.5 fps.
  case variableRate = "vfr.mp4"
  /// H.264 open GOP (x264 open-gop=1): after the first IDR, I-frames with a recovery point and leading B-frames.
  case openGOP = "opengop.mp4"
  /// H.264 intra refresh: one IDR, then P-frames flagged as recovery points 18 frames before the picture is whole.
  case intraRefresh = "intrarefresh.mp4"
  /// HEVC open GOP (x265's default): CRA pictures followed by RASL pictures (a GOP of 24 leaves B-frames before them).
  case hevcOpen = "hevc-cra-rasl.mp4"
  /// HEVC open GOP whose CRA pictures have no leading pictures (a GOP of 25 ends on x265's mini-GOP).
  case hevcCRAWithoutLeading = "hevc-cra.mp4"
  /// HEVC closed GOP: IDR pictures.
  case hevcClosed = "hevc-idr.mp4"
  /// MPEG-2 in MPEG-TS, open GOPs: I-frames whose leading B-frames refer to the GOP before.
  case mpeg2Open = "mpeg2-open.ts"
  /// MPEG-2 in MPEG-TS, closed GOPs.
  case mpeg2Closed = "mpeg2-closed.ts"

  /// True for the structures whose random access points all decode alone.
  var cutsCleanly: Bool { [.bFrames, .variableRate, .hevcCRAWithoutLeading, .hevcClosed, .mpeg2Closed].contains(self) }

  private var encoding: [String] {
    let x264 = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]
    switch self {
    case .bFrames:
      return x264 + ["-bf", "2", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-c:a", "aac", "-b:a", "48k"]
    case .variableRate:
      return ["-vf", "setpts='if(lt(N,100),N/25,4+(N-100)*2/25)/TB'", "-fps_mode", "vfr"] + x264
        + ["-bf", "2", "-g", "1000", "-sc_threshold", "0", "-force_key_frames", "expr:gte(t,n_forced)"]
    case .openGOP:
      return x264 + ["-x264-params", "open-gop=1:bframes=2:keyint=25:min-keyint=25:scenecut=0"]
    case .intraRefresh:
      return x264 + ["-x264-params", "intra-refresh=1:bframes=0:keyint=25"]
    case .hevcOpen, .hevcCRAWithoutLeading, .hevcClosed:
      let gop = self == .hevcOpen ? 24 : 25
      return [
        "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-x265-params",
        "keyint=\(gop):min-keyint=\(gop):scenecut=0:open-gop=\(self == .hevcClosed ? 0 : 1):log-level=error",
      ]
    case .mpeg2Open:
      return ["-c:v", "mpeg2video", "-q:v", "5", "-bf", "2", "-g", "25"]
    case .mpeg2Closed:
      return ["-c:v", "mpeg2video", "-q:v", "5", "-bf", "2", "-g", "25", "-flags", "+cgop", "-sc_threshold", "1e9"]
    }
  }

  private static let lock = NSLock()
  nonisolated(unsafe) private static var made: Set<GOPFixture> = []

  /// The fixture's path, made on first use.
  var path: String {
    get throws {
      let directory = NSTemporaryDirectory() + "clipline-gop-fixtures-\(getpid())"
      let path = (directory as NSString).appendingPathComponent(rawValue)
      try GOPFixture.lock.withLock {
        guard !GOPFixture.made.contains(self) else { return }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        ScratchRemoval.shared.trackUntilTheRunEnds(directory)
        var input = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=8"]
        if self == .bFrames { input += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=8"] }
        try MediaAssertions.makeWithFFmpeg(["-y"] + input + encoding + [path])
        GOPFixture.made.insert(self)
      }
      return path
    }
  }
}

/// What a decoder makes of a file's video, as ffmpeg's own judge: one MD5 per decoded picture, in order.
enum DecodedFrames {
  /// The pictures of `path`'s first video stream, with anything the decoder complained about.
  static func hashes(_ path: String) throws -> (frames: [String], complaints: String) {
    let result = try ToolInvocation.runProcess(
      "/usr/bin/ffmpeg", ["-v", "error", "-i", path, "-map", "0:v:0", "-f", "framemd5", "-"])
    guard result.status == 0 else { throw TestFailure("ffmpeg could not decode \(path): \(result.stderr)") }
    let frames = result.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap {
      $0.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) }
    }
    return (frames, result.stderr)
  }

  /// ffprobe's start time of the file and of its video stream, in seconds.
  static func startTimes(_ path: String) throws -> (format: Double, video: Double) {
    let probe = try FixtureVideo.probe(path)
    let format = (probe["format"] as? [String: Any])?["start_time"] as? String
    let video = try MediaAssertions.videoStream(path)["start_time"] as? String
    return (Double(format ?? "") ?? .nan, Double(video ?? "") ?? .nan)
  }
}

/// What every chunk of a fixture must be: checked by decoding and by ffprobe, never by the code under test.
enum ChunkFrameAssertions {
  /// The chunks decode, in order, to exactly the source's pictures, and each starts at 0 as its record says.
  static func assertChunksHoldEveryPicture(
    of fixture: GOPFixture, _ result: ToolResult, file: StaticString = #filePath, line: UInt = #line
  ) throws {
    XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
    let records = try result.records()
    XCTAssertGreaterThan(records.count, 1, "\(fixture) was cut", file: file, line: line)
    let source = try DecodedFrames.hashes(try fixture.path)
    let kinds = try MediaAssertions.streamKinds(try fixture.path)
    var pictures: [String] = []
    for record in records {
      let path = try record.requireString("chunk_path")
      let decoded = try DecodedFrames.hashes(path)
      XCTAssertEqual(decoded.complaints, "", "\(fixture) chunk \(path) decodes cleanly", file: file, line: line)
      pictures += decoded.frames
      XCTAssertEqual(
        try MediaAssertions.streamKinds(path), kinds, "\(fixture) \(path) keeps every stream", file: file, line: line)
      let starts = try DecodedFrames.startTimes(path)
      XCTAssertEqual(starts.format, 0, accuracy: 0.0005, "\(fixture) \(path) starts at 0", file: file, line: line)
      XCTAssertEqual(starts.video, 0, accuracy: 0.0005, "\(fixture) \(path) video starts at 0", file: file, line: line)
      // Within a frame: a variable-rate source's packets may carry a nominal duration shorter than the gap to the
      // next picture, and the chunk's last picture keeps its packet's.
      XCTAssertEqual(
        try MediaAssertions.duration(path), record["chunk_duration"]?.doubleValue ?? -1, accuracy: 0.041,
        "\(fixture) \(path) lasts what its record says", file: file, line: line)
    }
    XCTAssertEqual(
      pictures.count, source.frames.count, "\(fixture): pictures in chunks vs source", file: file, line: line)
    if records.allSatisfy({ $0["chunk_mode"] == "copy" }) {
      XCTAssertTrue(
        pictures == source.frames, "\(fixture): the chunks' pictures are the source's", file: file, line: line)
    }
    let ends = records.compactMap { $0["end_time"]?.doubleValue }
    XCTAssertEqual(Array(ends.dropLast()), records.dropFirst().compactMap { $0["start_time"]?.doubleValue })
    XCTAssertEqual(
      ends.last ?? 0, try MediaAssertions.duration(try fixture.path), accuracy: 0.041, file: file, line: line)
  }
}
