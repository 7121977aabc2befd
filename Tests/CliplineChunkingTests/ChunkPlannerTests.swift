import CliplineChunking
import XCTest

final class ChunkPlannerTests: XCTestCase {
  func testWholeChunks() {
    XCTAssertEqual(Array(ChunkPlanner(chunkDuration: 60).boundaries(forDuration: 300)), [60, 120, 180, 240])
  }

  func testShortRemainderMergesIntoThePreviousChunk() {
    // 305 s: the last 5 s are under a quarter chunk (15 s), so chunk 5 runs 240–305.
    XCTAssertEqual(Array(ChunkPlanner(chunkDuration: 60).boundaries(forDuration: 305)), [60, 120, 180, 240])
    // 330 s: 30 s left over is a chunk of its own.
    XCTAssertEqual(Array(ChunkPlanner(chunkDuration: 60).boundaries(forDuration: 330)), [60, 120, 180, 240, 300])
  }

  func testThresholdIsConfigurable() {
    XCTAssertEqual(
      Array(ChunkPlanner(chunkDuration: 60, mergeLastUnder: 0).boundaries(forDuration: 305)), [60, 120, 180, 240, 300])
    XCTAssertEqual(
      Array(ChunkPlanner(chunkDuration: 60, mergeLastUnder: 40).boundaries(forDuration: 330)), [60, 120, 180, 240])
  }

  func testVideoShorterThanOneChunkIsOneChunk() {
    XCTAssertEqual(Array(ChunkPlanner(chunkDuration: 60).boundaries(forDuration: 60)), [])
    XCTAssertEqual(Array(ChunkPlanner(chunkDuration: 60).boundaries(forDuration: 12.5)), [])
  }
}
