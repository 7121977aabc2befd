import CliplineChunking
import CliplineCrypto
import CliplineMedia
import CliplineRecords
import CliplineSources
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// Each chunk's file pass (index to the front, SHA-256) runs beside the cut of the next: records still leave in
/// order, each with the hash of its file as it lies on disk, and a failure leaves no chunk that was not reported.
final class ChunkerFinishingTests: XCTestCase {
  private func chunker(in directory: ScratchDirectory) -> Chunker {
    let (diagnostics, _) = Diagnostics.capturing(tool: "chunk")
    return Chunker(
      options: Chunker.Options(), workDirectory: WorkDirectory(path: directory.path, isCreatedHere: false),
      fetcher: SourceFetcher(), diagnostics: diagnostics)
  }

  private func request(_ source: String) throws -> Record {
    try Record(json: #"{"process_id":7,"cloud_stream_path":"\#(source)","video_preprocessing":{"chunk_duration":1}}"#)
  }

  func testManyChunksLeaveInOrderEachWithTheHashOfItsFile() throws {
    // A keyframe every second, one-second chunks: twelve files, finished on another thread while the next is cut.
    let source = try FixtureVideo.path(.init(seconds: 12, gopFrames: 25))
    let directory = try ScratchDirectory("finishing")
    var records: [Record] = []
    try chunker(in: directory).process(try request(source), line: 1) { records.append($0) }

    XCTAssertEqual(records.map { $0["chunk_id"]?.integerValue }, (1...12).map { Int64($0) })
    let starts = records.compactMap { $0["start_time"]?.doubleValue }
    XCTAssertEqual(starts, starts.sorted(), "records leave in the order of the source")
    for record in records {
      let path = try record.requireString("chunk_path")
      XCTAssertEqual(record["chunk_hash"]?.stringValue, try Digest.ofFile(path).hexString, path)
      let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber
      XCTAssertEqual(record["chunk_bytes"]?.integerValue, size?.int64Value, path)
      try MediaAssertions.assertStartsWithKeyframe(path)
    }
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.file("7")).sorted()
    XCTAssertEqual(files, (1...12).map { String(format: "chunk_%03d.mp4", $0) })
  }

  func testARecordThatFailsLeavesNoUnreportedChunkBehind() throws {
    let source = try FixtureVideo.path(.init(seconds: 12, gopFrames: 25))
    let directory = try ScratchDirectory("finishing-fails")
    var reported: [Int64] = []
    XCTAssertThrowsError(
      try chunker(in: directory).process(try request(source), line: 1) { record in
        reported.append(record["chunk_id"]!.integerValue!)
        if reported.count == 3 { throw MediaError("the receiver refused chunk 3") }
      }
    ) { error in
      XCTAssertEqual(describe(error), "the receiver refused chunk 3")
    }
    XCTAssertEqual(reported, [1, 2, 3])
    // The chunks reported are their receiver's; the ones being finished or cut are deleted.
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.file("7")).sorted()
    XCTAssertEqual(files, ["chunk_001.mp4", "chunk_002.mp4", "chunk_003.mp4"])
  }
}
