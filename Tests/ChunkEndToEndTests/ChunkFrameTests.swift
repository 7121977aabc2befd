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

  func testCopyChunksOfBFrameAndVariableRateSourcesStartAtZeroAndKeepEveryPicture() throws {
    for fixture in [GOPFixture.bFrames, .variableRate] {
      let out = try ScratchDirectory("frames")
      try ChunkFrameAssertions.assertChunksHoldEveryPicture(of: fixture, try cut(fixture, mode: "copy", into: out))
    }
  }

  func testTranscodeKeepsTheLastPictureOfEveryChunk() throws {
    for fixture in [GOPFixture.bFrames, .variableRate] {
      let out = try ScratchDirectory("frames")
      try ChunkFrameAssertions.assertChunksHoldEveryPicture(of: fixture, try cut(fixture, mode: "transcode", into: out))
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
