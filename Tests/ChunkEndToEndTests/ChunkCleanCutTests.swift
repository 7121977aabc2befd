import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// Copy mode starts a chunk only on a picture that decodes alone with everything after it; a source without one
/// near a boundary (open GOPs, intra refresh) is refused with one sentence, and transcode mode cuts it.
final class ChunkCleanCutTests: XCTestCase {
  private func cut(_ fixture: GOPFixture, mode: String, into out: ScratchDirectory) throws -> ToolResult {
    try ToolInvocation.run(
      "chunk", ["--source", try fixture.path, "--mode", mode, "--chunk-duration", "2s", "-o", out.path])
  }

  func testCopyKeepsEveryPictureOrRefusesTheSource() throws {
    for fixture in GOPFixture.allCases {
      let out = try ScratchDirectory("clean")
      let result = try cut(fixture, mode: "copy", into: out)
      if fixture.cutsCleanly {
        try ChunkFrameAssertions.assertChunksHoldEveryPicture(of: fixture, result)
        continue
      }
      XCTAssertEqual(result.status, ExitStatus.dataError.rawValue, "\(fixture): \(result.stderr)")
      XCTAssertEqual(result.stdout, "", "\(fixture): no record for a chunk that would lose pictures")
      let lines = result.stderr.split(separator: "\n")
      XCTAssertEqual(lines.count, 1, "\(fixture): one sentence: \(result.stderr)")
      XCTAssertTrue(
        result.stderr.contains("cannot be cut in copy mode without losing pictures")
          && result.stderr.contains("use --mode transcode"), "\(fixture): \(result.stderr)")
      let left = try FileManager.default.subpathsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".mp4") }
      XCTAssertEqual(left, [], "\(fixture): no chunk file is left")
    }
  }

  func testTranscodeCutsTheSourcesCopyModeRefuses() throws {
    for fixture in GOPFixture.allCases where !fixture.cutsCleanly {
      let out = try ScratchDirectory("clean")
      try ChunkFrameAssertions.assertChunksHoldEveryPicture(of: fixture, try cut(fixture, mode: "transcode", into: out))
    }
  }
}
