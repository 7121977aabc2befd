import CliplineRecords
import CliplineTestSupport
import Foundation
import XCTest

/// Issue 23, item 12, for the live pipelines built on `kvs-follow` (examples/s2-follow.sh, examples/live-fast-path.sh):
/// what they publish — M0's request, and M1's chunk message on the fast path — is read by pika and accepted by the
/// seeds' pydantic models, `inference_config` included.
final class FollowMessageContractTests: FollowTestCase {
  private func publish(_ records: [Record], through pipeline: String) throws {
    let path = ToolInvocation.buildDirectory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    let result = try ToolInvocation.runProcess(
      "/bin/bash", ["-o", "pipefail", "-c", pipeline],
      stdin: Data((records.map(\.jsonText).joined(separator: "\n") + "\n").utf8),
      environment: [
        "PATH": path, "AMQP_URL": try Broker.url(), "EXAMPLES": ExampleScript.root.path + "/examples",
        "GRAPHQL_ENDPOINT": try TestServices.require("GRAPHQL_ENDPOINT"),
        "GRAPHQL_TOKEN": try TestServices.require("GRAPHQL_TOKEN"),
      ])
    XCTAssertEqual(result.status, 0, result.stderr)
  }

  func testWhatTheFollowPipelinesPublishIsWhatTheSeedsRead() throws {
    try SeedMessages.purge(["M0_PRIORITY_QUEUE", "M0_RESULTS_QUEUE"])
    let stream = try testbed.createStream("contract").name
    let camera = try LiveCamera(testbed, stream: stream)
    defer { camera.stop() }
    let store = "file://" + home.file("store")
    let config = ["--inference-config", #"{"vlm_provider":"bedrock"}"#]

    // s2-follow.sh: each window's record becomes M0's request.
    let windows = try follow(
      stream, config + ["--to", "\(store)/live/{camera_id}/{start_time}.mp4=cloud_stream_path"], name: "windows")
    let records = Array(try windows.waitForRecords(3).dropFirst().prefix(2))
    XCTAssertEqual(windows.terminate().status, 0, windows.stderr)
    try publish(
      records,
      through: #""$EXAMPLES/s2-worker.sh" --shape-only | amqp-pub --queue M0_PRIORITY_QUEUE --declare"#)
    let requests = try SeedMessages.check("M0_PRIORITY_QUEUE", as: "VideoProcessingRequest", count: 2)
    XCTAssertEqual(
      requests.map { $0.body["inference_config"] }, Array(repeating: ["vlm_provider": "bedrock"], count: 2))

    // live-fast-path.sh: each window is a chunk, recorded and handed to M1.
    let chunks = try follow(
      stream,
      config + [
        "--record", "chunk", "--to", "\(store)/processed/live/{camera_id}/{start_time}.mp4=cloud_stream_path",
        "--to", "\(store)/cache/temp/{camera_id}/{start_time}.mp4=cache_path",
      ], state: "file://" + home.file("chunk-state"), name: "chunks")
    let chunkRecords = Array(try chunks.waitForRecords(3).dropFirst().prefix(2))
    XCTAssertEqual(chunks.terminate().status, 0, chunks.stderr)
    try publish(
      chunkRecords,
      through: #"gql-mutate --op create-chunk | "$EXAMPLES/m0-worker.sh" --shape-only "#
        + "| amqp-pub --queue M0_RESULTS_QUEUE --declare")
    let messages = try SeedMessages.check("M0_RESULTS_QUEUE", as: "ChunkMessage", count: 2)
    XCTAssertEqual(messages.map { $0.body["inference_modality"] }, ["live", "live"])
    try SeedMessages.purge(["M0_PRIORITY_QUEUE", "M0_RESULTS_QUEUE"])
  }
}
