import CliplineRecords
import CliplineTestSupport
import Foundation
import XCTest

/// A live request's `live_start_time` as Python producers write it (issue 23, item 10): a space for the `T`, no
/// offset (UTC), pydantic v1's `+00:00`; each chunk's times come out as RFC 3339 in UTC. A day, hour or offset that
/// does not exist is refused (65, item 14) with nothing cut.
final class ChunkLiveTimeTests: XCTestCase {
  private func request(_ liveStart: String) throws -> String {
    let source = try FixtureVideo.path(.init(seconds: 4, gopFrames: 25))
    return
      #"{"process_id":501,"inference_modality":"live","cloud_stream_path":"file://\#(source)","destination_prefix":"processed/live/cam/501/","cache_container_name":"spectra-cache","live_start_time":"\#(liveStart)","video_preprocessing":{"chunk_duration":2},"inference_config":{}}"#
      + "\n"
  }

  func testPythonsSpellingsAreReadAsUTCAndChunkTimesWrittenInRFC3339() throws {
    for spelling in ["2026-02-26 14:30:00", "2026-02-26 14:30:00+00:00", "2026-02-26T16:30:00+02:00"] {
      let out = try ScratchDirectory("chunk-live-time")
      let result = try ToolInvocation.run("chunk", ["-o", out.path], stdin: try request(spelling))
      XCTAssertEqual(result.status, 0, "\(spelling): \(result.stderr)")
      let records = try result.records()
      XCTAssertEqual(records.count, 2, spelling)
      XCTAssertEqual(
        records.map { $0["chunk_start_time"]?.stringValue }, ["2026-02-26T14:30:00Z", "2026-02-26T14:30:02Z"], spelling)
      XCTAssertEqual(
        records.map { $0["chunk_end_time"]?.stringValue }, ["2026-02-26T14:30:02Z", "2026-02-26T14:30:04Z"], spelling)
    }
  }

  func testImpossibleLiveStartTimesAreRefused() throws {
    for spelling in [
      "2026-02-30T14:30:00Z", "2026-04-31 14:30:00", "2026-02-26T14:30:00+23:99", "9999-12-31T23:59:59-01:00",
    ] {
      let out = try ScratchDirectory("chunk-live-impossible")
      let result = try ToolInvocation.run("chunk", ["-o", out.path], stdin: try request(spelling))
      XCTAssertEqual(result.status, 65, "\(spelling): \(result.stderr)")
      XCTAssertEqual(result.stdout, "", spelling)
      XCTAssertTrue(result.stderr.contains("live_start_time"), "\(spelling): \(result.stderr)")
      XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path).count, 0, "nothing cut: \(spelling)")
    }
  }
}
