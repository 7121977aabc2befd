import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// Every picture of the source is in exactly one chunk, and every chunk starts where its record says: checked by
/// decoding (ffmpeg's framemd5) and by ffprobe, never by the code under test.
final class ChunkFrameTests: XCTestCase {
  private func cut(_ fixture: GOPFixture, mode: String, into out: ScratchDirectory) throws -> ToolResult {
    try ToolInvocation.run(
      "chunk", ["--source", try fixture.path, "--mode", mode, "--chunk-duration", "2s", "-o", out.path])
  }

  /// The chunks decode, in order, to exactly the source's pictures, and each starts at 0 as its record says.
  private func assertChunksHoldEveryPicture(
    of fixture: GOPFixture, _ result: ToolResult, file: StaticString = #filePath, line: UInt = #line
  ) throws {
    XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
    let records = try result.records()
    XCTAssertGreaterThan(records.count, 1, "\(fixture) was cut", file: file, line: line)
    let source = try DecodedFrames.hashes(try fixture.path)
    var pictures: [String] = []
    for record in records {
      let path = try record.requireString("chunk_path")
      let decoded = try DecodedFrames.hashes(path)
      XCTAssertEqual(decoded.complaints, "", "\(fixture) chunk \(path) decodes cleanly", file: file, line: line)
      pictures += decoded.frames
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

  func testCopyChunksOfBFrameAndVariableRateSourcesStartAtZeroAndKeepEveryPicture() throws {
    for fixture in [GOPFixture.bFrames, .variableRate] {
      let out = try ScratchDirectory("frames")
      try assertChunksHoldEveryPicture(of: fixture, try cut(fixture, mode: "copy", into: out))
    }
  }

  func testTranscodeKeepsTheLastPictureOfEveryChunk() throws {
    for fixture in [GOPFixture.bFrames, .variableRate] {
      let out = try ScratchDirectory("frames")
      try assertChunksHoldEveryPicture(of: fixture, try cut(fixture, mode: "transcode", into: out))
    }
  }

  func testTranscodeThroughAFrameRateFilterKeepsTheSourcesLastPicture() throws {
    // 8 s at 25 fps through the fps filter is 200 pictures: the filter's end of input is where the source's last
    // picture ends, not where it starts (which dropped that picture).
    let out = try ScratchDirectory("frames")
    let source = try GOPFixture.bFrames.path
    let request = #"{"cloud_stream_path":"\#(source)","video_preprocessing":{"chunk_duration":2,"fps":25}}"#
    let result = try ToolInvocation.run("chunk", ["--mode", "transcode", "-o", out.path], stdin: request)
    XCTAssertEqual(result.status, 0, result.stderr)
    let records = try result.records()
    XCTAssertEqual(records.compactMap { $0["end_time"]?.doubleValue }, [2, 4, 6, 8])
    let counts = try records.map { try DecodedFrames.hashes(try $0.requireString("chunk_path")).frames.count }
    XCTAssertEqual(counts, [50, 50, 50, 50])
  }
}
