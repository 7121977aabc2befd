import CliplineBlobStores
import CliplineChunking
import CliplineCrypto
import CliplineMedia
import CliplineRecords
import CliplineSources
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// The chunker as a library: requests in, records out, files checked with ffprobe/ffmpeg.
final class ChunkerTests: XCTestCase {
  private func chunk(
    _ request: String, options: Chunker.Options = Chunker.Options(), in directory: ScratchDirectory
  ) throws -> [Record] {
    let (diagnostics, _) = Diagnostics.capturing(tool: "chunk")
    let chunker = Chunker(
      options: options, workDirectory: WorkDirectory(path: directory.path, isCreatedHere: false),
      fetcher: SourceFetcher(), diagnostics: diagnostics)
    var records: [Record] = []
    try chunker.process(try Record(json: request), line: 1) { records.append($0) }
    return records
  }

  func testCopyModeCutsAtKeyframesAndCoversTheWholeSource() throws {
    // 20 s, a keyframe every 2 s, chunks of 5 s: cuts land on the keyframes at 6, 10, 16 s.
    let source = try FixtureVideo.path(.init(seconds: 20, gopFrames: 50))
    let directory = try ScratchDirectory("copy")
    let records = try chunk(
      #"{"process_id":42,"cloud_stream_path":"\#(source)","video_preprocessing":{"chunk_duration":5},"inference_config":{"vlm":"x"}}"#,
      in: directory)

    XCTAssertEqual(records.map { $0["chunk_id"]?.integerValue }, [1, 2, 3, 4])
    let starts = records.compactMap { $0["start_time"]?.doubleValue }
    let ends = records.compactMap { $0["end_time"]?.doubleValue }
    XCTAssertEqual(starts, [0, 6, 10, 16])
    XCTAssertEqual(Array(ends.dropLast()), Array(starts.dropFirst()), "chunks are contiguous")
    for (index, start) in starts.enumerated() where index > 0 {
      let nominal = Double(index) * 5
      XCTAssertTrue(start >= nominal && start < nominal + 2, "cut \(start) is within one GOP after \(nominal)")
    }
    let sourceDuration = try MediaAssertions.duration(source)
    let total = records.compactMap { $0["chunk_duration"]?.doubleValue }.reduce(0, +)
    XCTAssertEqual(total, sourceDuration, accuracy: 0.05)

    for record in records {
      let path = try record.requireString("chunk_path")
      XCTAssertEqual(
        (path as NSString).lastPathComponent, String(format: "chunk_%03d.mp4", record["chunk_id"]!.integerValue!))
      XCTAssertEqual(record["chunk_hash"]?.stringValue, try Digest.ofFile(path).hexString)
      XCTAssertEqual(record["process_id"], JSONValue.integer(42))
      XCTAssertEqual(record["inference_config"], JSONValue.object(["vlm": "x"]))
      XCTAssertEqual(record["chunk_mode"], "copy")
      XCTAssertEqual(record["source_stream_path"], .string(source), "the request's source moves to source_stream_path")
      XCTAssertNil(record["cloud_stream_path"], "a chunk has no URL of its own until blob-put stores it")
      XCTAssertEqual(record["time_offset"], record["start_time"])
      XCTAssertEqual(try MediaAssertions.streamKinds(path), ["video", "audio"], "audio is kept")
      XCTAssertEqual(
        try MediaAssertions.duration(path), record["chunk_duration"]!.doubleValue!, accuracy: 0.1, "real cut times")
      try MediaAssertions.assertStartsWithKeyframe(path)
      try MediaAssertions.assertDecodesCleanly(path)
    }
  }

  func testEachChunkIsReportedAsSoonAsItsFileIsClosed() throws {
    // Transcoding at a slow preset takes seconds; chunk 1's record must arrive long before the last chunk exists.
    let source = try FixtureVideo.path(.init(seconds: 20, gopFrames: 25))
    let directory = try ScratchDirectory("streaming")
    let (diagnostics, _) = Diagnostics.capturing(tool: "chunk")
    var options = Chunker.Options()
    options.mode = .transcode
    options.encoding.preset = "medium"
    let chunker = Chunker(
      options: options, workDirectory: WorkDirectory(path: directory.path, isCreatedHere: false),
      fetcher: SourceFetcher(), diagnostics: diagnostics)
    let lastChunk = directory.file("1/chunk_005.mp4")
    let observed = CapturedLines()
    try chunker.process(
      try Record(
        json: #"{"process_id":1,"cloud_stream_path":"\#(source)","video_preprocessing":{"chunk_duration":4}}"#),
      line: 1
    ) { record in
      observed.append("\(record["chunk_id"]!.integerValue!):\(FileManager.default.fileExists(atPath: lastChunk))\n")
    }
    XCTAssertEqual(observed.text, "1:false\n2:false\n3:false\n4:true\n5:true\n")
  }

  func testHashesAreStableAcrossRuns() throws {
    let source = try FixtureVideo.path(.init(seconds: 12, gopFrames: 25))
    let request = #"{"process_id":5,"cloud_stream_path":"\#(source)","video_preprocessing":{"chunk_duration":4}}"#
    let first = try chunk(request, in: try ScratchDirectory("hash1")).map { $0["chunk_hash"] }
    let second = try chunk(request, in: try ScratchDirectory("hash2")).map { $0["chunk_hash"] }
    XCTAssertEqual(first.count, 3)
    XCTAssertEqual(first, second)
  }

  func testTranscodeHasTheRequestedSizeAndRateAndExactCuts() throws {
    let source = try FixtureVideo.path(.init(seconds: 12, width: 640, height: 360, fps: 30, gopFrames: 250))
    let directory = try ScratchDirectory("transcode")
    let records = try chunk(
      #"{"process_id":"t","cloud_stream_path":"\#(source)","video_preprocessing":{"chunk_duration":4,"fps":15,"width":320,"height":240}}"#,
      in: directory)
    XCTAssertEqual(records.compactMap { $0["start_time"]?.doubleValue }, [0, 4, 8], "keyframes forced at boundaries")
    for record in records {
      XCTAssertEqual(record["chunk_mode"], "transcode")
      let path = try record.requireString("chunk_path")
      let video = try MediaAssertions.videoStream(path)
      XCTAssertEqual(video["width"] as? Int, 320)
      XCTAssertEqual(video["height"] as? Int, 240)
      XCTAssertEqual(video["r_frame_rate"] as? String, "15/1")
      XCTAssertEqual(video["nb_frames"] as? String, "60")
      try MediaAssertions.assertStartsWithKeyframe(path)
      try MediaAssertions.assertDecodesCleanly(path)
    }
  }

  func testAutoModeCopiesWhenTheSourceAlreadyMatches() throws {
    let source = try FixtureVideo.path(.init(seconds: 6, width: 320, height: 240, fps: 25))
    let records = try chunk(
      #"{"cloud_stream_path":"\#(source)","video_preprocessing":{"chunk_duration":3,"fps":25,"width":320,"height":240}}"#,
      in: try ScratchDirectory("auto"))
    XCTAssertEqual(records.map { $0["chunk_mode"] }, ["copy", "copy"])
  }

  func testLastShortPieceMergesIntoThePreviousChunk() throws {
    // 11 s in 5 s chunks: the last 1 s is under 1.25 s, so there are two chunks, 0–5 and 5–11.
    let source = try FixtureVideo.path(.init(seconds: 11, gopFrames: 25))
    let records = try chunk(
      #"{"cloud_stream_path":"\#(source)","video_preprocessing":{"chunk_duration":5}}"#,
      in: try ScratchDirectory("merge"))
    XCTAssertEqual(records.count, 2)
    XCTAssertEqual(records.last?["start_time"]?.doubleValue, 5)
    XCTAssertEqual(records.last?["end_time"]?.doubleValue ?? 0, 11, accuracy: 0.05)
  }

  func testLiveChunksCarryAbsoluteTimes() throws {
    let source = try FixtureVideo.path(.init(seconds: 8, gopFrames: 25))
    let records = try chunk(
      #"{"process_id":501,"inference_modality":"live","live_start_time":"2026-02-26T14:30:00Z","cloud_stream_path":"\#(source)","video_preprocessing":{"chunk_duration":4}}"#,
      in: try ScratchDirectory("live"))
    XCTAssertEqual(records.map { $0["chunk_start_time"] }, ["2026-02-26T14:30:00Z", "2026-02-26T14:30:04Z"])
    XCTAssertEqual(records.map { $0["chunk_end_time"] }, ["2026-02-26T14:30:04Z", "2026-02-26T14:30:08Z"])
    XCTAssertEqual(records.first?["live_start_time"], "2026-02-26T14:30:00Z")
  }

  func testRequestErrorsNameTheField() throws {
    let source = try FixtureVideo.path(.init(seconds: 2))
    let cases: [(String, String)] = [
      (#"{"process_id":1}"#, #"field "cloud_stream_path" is missing"#),
      (
        #"{"cloud_stream_path":"\#(source)","video_preprocessing":{"chunk_duration":0}}"#,
        #"field "video_preprocessing.chunk_duration" must be between 1 and 86400 s, found"#
      ),
      (
        #"{"cloud_stream_path":"\#(source)","video_preprocessing":{"chunk_duration":-3}}"#,
        #"field "video_preprocessing.chunk_duration" must be between 1 and 86400 s, found"#
      ),
      (#"{"cloud_stream_path":"\#(source)","inference_modality":"live"}"#, #"field "live_start_time" is missing"#),
      (#"{"cloud_stream_path":"\#(source)","inference_modality":"later"}"#, #"field "inference_modality" must be"#),
    ]
    for (request, message) in cases {
      XCTAssertThrowsError(try chunk(request, in: try ScratchDirectory("bad")), request) { error in
        XCTAssertEqual(ExitStatus.of(error), .dataError, request)
        XCTAssertTrue(describe(error).hasPrefix(message), "\(describe(error)) for \(request)")
      }
    }
  }
}
