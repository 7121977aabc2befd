import CliplineChunking
import CliplineRecords
import CliplineSources
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// A chunk sent while it is cut hands its upload every media byte before the trailer begins, so every part's
/// checksum (the tail's too) comes from those bytes and no part is hashed again from the file.
final class ChunkerUploadingTests: XCTestCase {
  /// What a chunk's writer handed over as media: the bytes from 0 it gave in order, without a gap.
  private final class HandedOver: GrowingUpload, @unchecked Sendable {  // used by the cutting thread only
    var rewritableBelow: Int64 { 1 << 20 }
    private(set) var contiguous: Int64 = 0
    func wrote(_ bytes: UnsafeRawBufferPointer, at offset: Int64) {
      if offset <= contiguous { contiguous = max(contiguous, offset + Int64(bytes.count)) }
    }
    func written(upTo offset: Int64) throws {}
    func abort() {}
  }

  func testEveryMediaByteIsHandedOverBeforeTheTrailer() throws {
    let source = try FixtureVideo.path(.init(seconds: 12, gopFrames: 25))
    let directory = try ScratchDirectory("handed-over")
    let (diagnostics, _) = Diagnostics.capturing(tool: "chunk")
    let chunker = Chunker(
      options: Chunker.Options(), workDirectory: WorkDirectory(path: directory.path, isCreatedHere: false),
      fetcher: SourceFetcher(), diagnostics: diagnostics)
    var chunks = 0
    try chunker.process(
      try Record(
        json: #"{"process_id":7,"cloud_stream_path":"\#(source)","video_preprocessing":{"chunk_duration":4}}"#),
      line: 1, uploading: { _, _ in HandedOver() },
      emit: { record, body, upload in
        chunks += 1
        let handed = try XCTUnwrap(upload as? HandedOver).contiguous
        XCTAssertGreaterThanOrEqual(
          handed, body.range.upperBound, "chunk \(record["chunk_id"]!): media ends at \(body.range.upperBound)")
        try? FileManager.default.removeItem(atPath: body.path)
      })
    XCTAssertEqual(chunks, 3)
  }
}
