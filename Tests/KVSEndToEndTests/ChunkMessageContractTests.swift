import CliplineRecords
import CliplineTestSupport
import Foundation
import XCTest

/// Issue 23, item 12: M1's chunk message always carries `inference_config` — the request's, or `{}` when the request
/// had none (a batch job submitted without one) — so the seed's chunk model reads every message M0 publishes.
final class ChunkMessageContractTests: XCTestCase {
  func testABatchJobWithoutInferenceConfigPublishesChunksWithAnEmptyOne() throws {
    let testbed = try KVSTestbed()
    let server = try S3TestServer.require()
    let (videos, cache) = (try server.makeBucket("batch-videos"), try server.makeBucket("batch-cache"))
    let run = try LivePipelineRun(
      testbed: testbed, videos: videos, cache: cache, streamPrefix: "unused",
      scratch: try ScratchDirectory("batch-run"))
    try run.purge()
    let source = try FixtureVideo.path(.init(seconds: 6, width: 160, height: 120, fps: 25, gopFrames: 25))
    let id = GraphQLTestServer.newProcessID()
    let request =
      #"{"process_id":\#(id),"inference_modality":"batch","cloud_stream_path":"file://\#(source)","#
      + #""destination_prefix":"processed/\#(id)/","cache_container_name":"\#(cache)","#
      + #""video_preprocessing":{"chunk_duration":3}}"#
    let submitted = try ToolInvocation.run(
      "m0-submit", ["--declare", "--dlq", "M0_DEADLETTER_QUEUE"], stdin: request + "\n", environment: run.environment)
    XCTAssertEqual(submitted.status, 0, submitted.stderr)
    _ = try run.messages("M0_PRIORITY_QUEUE", as: "VideoProcessingRequest", count: 1)

    let m0 = try run.example("m0-worker.sh", ["COUNT": "1"])
    XCTAssertEqual(m0.status, 0, m0.stderr)
    let chunks = try run.messages("M0_RESULTS_QUEUE", as: "ChunkMessage", count: 2).map(\.body)
    XCTAssertEqual(chunks.map { $0["inference_config"] }, [.object([:]), .object([:])])
    XCTAssertEqual(chunks.map { $0["chunk_id"] }, [.integer(1), .integer(2)])
    try run.purge()
  }
}
