import CliplineRecords
import CliplineTestSupport
import Foundation
import XCTest

/// Issue 23, items 1 and 12: two cameras over two minutes through every shipped example — the S2 scheduler
/// (kvs-discover --window), the S2 worker (kvs-clip into storage, the M0 request), the M0 worker (chunk into both
/// stores, GraphQL rows, M1's message). No two windows share a storage key, persistent or cache; the same minutes run
/// again write the same keys and rows; every message on every queue, dead letters included, is one the seeds'
/// pydantic models accept.
final class LivePipelineTests: XCTestCase {
  static let minutes = ["2026-02-26T14:31:00Z", "2026-02-26T14:32:00Z"]
  /// The job of the request whose source does not exist: marked FAILED.
  var failedJob = 0

  func testTwoCamerasOverTwoMinutesNeverShareAKeyAndARerunWritesTheSameOnes() throws {
    let testbed = try KVSTestbed()
    let server = try S3TestServer.require()
    let (videos, cache) = (try server.makeBucket("live-videos"), try server.makeBucket("live-cache"))
    let prefix = "pipe\(UUID().uuidString.prefix(6))"
    let video = try FixtureVideo.path(.init(seconds: 160, width: 160, height: 120, fps: 25, gopFrames: 25))
    let cameras = try (0..<2).map { _ in
      try testbed.createStream(prefix, video: video, mediaStart: "2026-02-26T14:30:30Z").name
    }
    let run = try LivePipelineRun(
      testbed: testbed, videos: videos, cache: cache, streamPrefix: prefix, scratch: try ScratchDirectory("live-run"))
    try run.purge()

    let first = try runOnce(run)
    try assertEveryWindowHasItsOwnKeys(first, cameras: cameras, videos: videos, cache: cache)
    let stored = (try run.objects(videos), try run.objects(cache))
    XCTAssertEqual(stored.0.count, 4 + first.chunks.count, "4 clips and the chunks: \(stored.0.keys.sorted())")
    XCTAssertEqual(stored.1.count, first.chunks.count, "one cache copy per chunk: \(stored.1.keys.sorted())")
    for chunk in first.chunks {
      XCTAssertEqual(stored.0[chunk.text("cloud_stream_path")], chunk.text("chunk_hash"), "overwritten? \(chunk)")
      XCTAssertEqual(stored.1[chunk.text("cache_path")], chunk.text("chunk_hash"), "overwritten? \(chunk)")
    }
    try assertRows(first)

    let rerun = try runOnce(run)
    let byProcess = { (tasks: [Record]) in tasks.sorted { Self.processID($0) < Self.processID($1) } }
    XCTAssertEqual(byProcess(rerun.tasks), byProcess(first.tasks), "the same minutes, the same tasks")
    XCTAssertEqual(
      Set(rerun.chunks.map { [$0.text("cloud_stream_path"), $0.text("cache_path"), $0.text("chunk_hash")] }),
      Set(first.chunks.map { [$0.text("cloud_stream_path"), $0.text("cache_path"), $0.text("chunk_hash")] }),
      "the same keys, the same bytes")
    XCTAssertEqual(try run.objects(videos), stored.0, "no object added or changed")
    XCTAssertEqual(try run.objects(cache), stored.1)
    try assertRows(rerun)
  }

  /// One pass over both minutes: the scheduler per minute, then each worker drains its queue. A task for a stream
  /// that does not exist and a request for a source that does not exist go along, so each dead-letter queue holds one
  /// message to check too.
  func runOnce(_ run: LivePipelineRun) throws -> (tasks: [Record], requests: [Record], chunks: [Record]) {
    for minute in Self.minutes {
      let at = ISO8601DateFormatter().date(from: minute)!.addingTimeInterval(70)
      let scheduled = try run.example("s2-scheduler.sh", ["AT": ISO8601DateFormatter().string(from: at)])
      XCTAssertEqual(scheduled.status, 0, scheduled.stderr)
    }
    let tasks = try run.messages("S2_PROCESSING_QUEUE", as: "KVSTask", count: 4).map(\.body)
    var lost = try XCTUnwrap(tasks.first)
    lost["process_id"] = .integer(Int64(GraphQLTestServer.newProcessID()))
    lost["stream_name"] = "no-such-stream"
    lost["stream_arn"] = "arn:aws:kinesisvideo:us-east-1:123456789012:stream/no-such-stream/1"
    try Broker.pikaPublish("S2_PROCESSING_QUEUE", body: lost.jsonText, headers: [:])
    let s2 = try run.example("s2-worker.sh", ["COUNT": "5"])
    XCTAssertEqual(s2.status, 0, s2.stderr)
    let deadTask = try run.messages("S2_PROCESSING_DLQ", as: "KVSTask", count: 1)
    XCTAssertEqual(deadTask.first?.body, lost, "a dead letter is the task as it came")
    XCTAssertNotNil(deadTask.first?.headers["x-clipline-error"]?.stringValue, "with the error: \(deadTask)")

    let requests = try run.messages("M0_PRIORITY_QUEUE", as: "VideoProcessingRequest", count: 4).map(\.body)
    var missing = try XCTUnwrap(requests.first)
    failedJob = GraphQLTestServer.newProcessID()
    missing["process_id"] = .integer(Int64(failedJob))
    missing["destination_prefix"] = .string("processed/live/missing/\(failedJob)/")
    missing["cloud_stream_path"] = .string(missing.text("cloud_stream_path") + ".missing")
    try Broker.pikaPublish("M0_PRIORITY_QUEUE", body: missing.jsonText, headers: [:])
    let m0 = try run.example("m0-worker.sh", ["COUNT": "5", "CONCURRENCY": "1"])
    XCTAssertEqual(m0.status, 0, m0.stderr)
    let deadRequest = try run.messages("M0_DEADLETTER_QUEUE", as: "VideoProcessingRequest", count: 1)
    XCTAssertEqual(deadRequest.first?.body, missing, "a dead letter is the request as it came")
    XCTAssertNotNil(deadRequest.first?.headers["x-clipline-error"]?.stringValue, "with the error: \(deadRequest)")

    let chunks = try run.messages("M0_RESULTS_QUEUE", as: "ChunkMessage", count: 12).map(\.body)
    try run.purge()
    return (tasks, requests, chunks)
  }
}

extension LivePipelineTests {
  static func processID(_ record: Record) -> Int64 { record["process_id"]?.integerValue ?? -1 }

  /// Each task is one camera's minute with its own process_id; each request and chunk lands under its own camera and
  /// process_id, in both stores; no two chunks share a key.
  func assertEveryWindowHasItsOwnKeys(
    _ run: (tasks: [Record], requests: [Record], chunks: [Record]), cameras: [String], videos: String, cache: String
  ) throws {
    var windows: [Int64: Record] = [:]  // process_id -> its task
    for task in run.tasks { windows[try XCTUnwrap(task["process_id"]?.integerValue, "\(task)")] = task }
    XCTAssertEqual(windows.count, 4, "a process_id per camera and minute: \(run.tasks)")
    XCTAssertEqual(
      Set(run.tasks.map { "\($0.text("camera_id")) \($0.text("start_time"))" }),
      Set(cameras.flatMap { camera in Self.minutes.map { "\(camera) \($0)" } }))
    for request in run.requests {
      let task = try XCTUnwrap(windows[request["process_id"]?.integerValue ?? -1], "no task for \(request)")
      let camera = task.text("camera_id")
      let minute = task.text("start_time").replacingOccurrences(of: ":", with: "-")
      XCTAssertEqual(request.text("cloud_stream_path"), "s3://\(videos)/live/\(camera)/\(minute).mp4")
      XCTAssertEqual(request.text("destination_prefix"), "processed/live/\(camera)/\(Self.processID(task))/")
      XCTAssertEqual(request["inference_config"], task["inference_config"])
    }
    for chunk in run.chunks {
      let task = try XCTUnwrap(windows[chunk["process_id"]?.integerValue ?? -1], "no task for \(chunk)")
      let (id, name) = (Self.processID(task), String(format: "chunk_%03d.mp4", chunk["chunk_id"]?.integerValue ?? 0))
      XCTAssertEqual(
        chunk.text("cloud_stream_path"), "s3://\(videos)/processed/live/\(task.text("camera_id"))/\(id)/\(name)")
      XCTAssertEqual(chunk.text("cache_path"), "s3://\(cache)/temp/\(id)/\(name)")
      XCTAssertEqual(chunk["inference_config"], task["inference_config"])
      XCTAssertEqual(chunk["inference_modality"], "live")
    }
    XCTAssertEqual(Set(run.chunks.map { $0.text("cloud_stream_path") }).count, run.chunks.count, "a key per chunk")
    XCTAssertEqual(Set(run.chunks.map { $0.text("cache_path") }).count, run.chunks.count, "a cache key per chunk")
  }

  /// The backend holds one live chunk row per chunk, pointing at its object with its hash, and each job's status.
  func assertRows(_ run: (tasks: [Record], requests: [Record], chunks: [Record])) throws {
    let graphql = try GraphQLTestServer()
    for task in run.tasks {
      let id = Int(try XCTUnwrap(task["process_id"]?.integerValue))
      let chunks = run.chunks.filter { $0["process_id"]?.integerValue == Int64(id) }
      XCTAssertEqual(chunks.count, 3, "three 20 s chunks of a minute: \(chunks)")
      let rows = try graphql.rows("live_chunks", processID: id)
      XCTAssertEqual(
        Set(rows.map { [$0["cloud_path"]?.stringValue ?? "", $0["chunk_hash"]?.stringValue ?? ""] }),
        Set(chunks.map { [$0.text("cloud_stream_path"), $0.text("chunk_hash")] }), "rows of \(id)")
      let status = try graphql.rows("cam_video_processes", processID: id).map { $0["status"]?.stringValue }
      XCTAssertEqual(status, ["PROCESSING"], "job \(id)")
    }
    let failed = try graphql.rows("cam_video_processes", processID: failedJob).map { $0["status"]?.stringValue }
    XCTAssertEqual(failed, ["FAILED"], "the job whose source is missing")
  }
}
