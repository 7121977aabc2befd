import CliplineAWS
import CliplineBlobStores
import CliplineCrypto
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// `kvs-follow --to`: windows streamed into SeaweedFS S3 as they arrive, with exactly `kvs-clip`'s fields, and the two
/// pipelines built on them: S2 (the M0 request, as `examples/s2-worker.sh` shapes it) and the fast path (`--record
/// chunk` through `gql-mutate --op create-chunk` to M1's message, as `examples/m0-worker.sh` shapes it).
final class FollowPipelineTests: FollowTestCase {
  var s3: S3Store!
  var s3Environment: [String: String] = [:]

  override func setUpWithError() throws {
    try super.setUpWithError()
    let endpoint = try TestServices.require("AWS_ENDPOINT_URL_S3")
    let key = try TestServices.require("CLIPLINE_TEST_S3_ACCESS_KEY_ID")
    let secret = try TestServices.require("CLIPLINE_TEST_S3_SECRET_ACCESS_KEY")
    s3 = S3Store(
      configuration: S3Configuration(
        endpoint: endpoint, region: "us-east-1",
        credentials: StaticCredentialsProvider(AWSCredentials(accessKeyId: key, secretAccessKey: secret)),
        addressing: .path))
    // The testbed does not check signatures: one identity, S3's, serves both.
    s3Environment = [
      "AWS_ENDPOINT_URL_S3": endpoint, "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret,
      "AWS_EC2_METADATA_DISABLED": "true",
    ]
  }

  func bucket(_ label: String) throws -> String {
    let name = "clipline-\(label)-\(UInt32.random(in: 0...UInt32.max))"
    try s3.createBucket(name)
    return name
  }

  func object(_ url: String) throws -> Data {
    let location = try BlobLocation(parsing: url)
    let path = home.file("downloaded-\(UUID().uuidString)")
    _ = try s3.get(location, to: path)
    defer { unlink(path) }
    return try Data(contentsOf: URL(fileURLWithPath: path))
  }

  func destinations(_ bucket: String) -> [String] {
    [
      "--to", "s3://\(bucket)/live/{camera_id}/{start_time}.mp4=cloud_stream_path",
      "--to", "s3://\(bucket)/cache/{camera_id}/{start_time}.mp4=cache_path", "--ttl", "cache_path=1d",
    ]
  }

  /// The fields `kvs-clip --to` writes for a task with the same destinations (a GetClip stream of the testbed).
  func kvsClipFields(_ bucket: String) throws -> Set<String> {
    let spec = FixtureVideo.Spec(seconds: 6, width: 160, height: 120, fps: 25, gopFrames: 25)
    let stream = try testbed.createStream("clip", video: try FixtureVideo.path(spec))
    let task =
      #"{"camera_id":"cam","stream_name":"\#(stream.name)","stream_arn":"\#(stream.arn)","#
      + #""start_time":"2026-02-26T14:30:01Z","end_time":"2026-02-26T14:30:03Z","process_id":501,"#
      + #""inference_config":{"vlm_provider":"bedrock"}}"#
    let clip = try ToolInvocation.run(
      "kvs-clip", ["--work-dir", home.file("clip")] + destinations(bucket), stdin: task + "\n",
      environment: testbed.environment(home: home.path).merging(s3Environment) { $1 },
      removingEnvironment: KVSTestbed.removedEnvironment)
    XCTAssertEqual(clip.status, 0, clip.stderr)
    return Set(try XCTUnwrap(try clip.records().first).fields.keys)
  }

  func testWindowsStreamIntoStorageWithTheFieldsKVSClipWritesAndBecomeM0Requests() throws {
    let bucket = try bucket("follow")
    let stream = try testbed.createStream("store").name
    let camera = try LiveCamera(testbed, stream: stream)
    defer { camera.stop() }
    let follower = try follow(
      stream, destinations(bucket) + ["--process-id", "501", "--inference-config", #"{"vlm_provider":"bedrock"}"#],
      environment: s3Environment)
    let records = Array(try follower.waitForRecords(3).prefix(3))
    XCTAssertEqual(follower.terminate().status, 0, follower.stderr)

    let fragmentFields: Set<String> = ["first_fragment_number", "last_fragment_number", "fragment_count"]
    let expected = try kvsClipFields(bucket).union(fragmentFields)
    for record in records.dropFirst() {
      XCTAssertEqual(Set(record.fields.keys), expected, "kvs-clip's fields and the fragments'")
    }
    for record in records {
      let stored = try object(record.text("cloud_stream_path"))
      XCTAssertEqual(Digest.sha256(stored).hexString, record.text("clip_sha256"))
      XCTAssertEqual(Int64(stored.count), record["clip_bytes"]?.integerValue)
      XCTAssertEqual(try object(record.text("cache_path")), stored, "the cache copy is the same object")
      let key = record.text("start_time").replacingOccurrences(of: ":", with: "-")
      XCTAssertTrue(record.text("cloud_stream_path").hasSuffix("/live/\(stream)/\(key).mp4"))
      let file = home.file("window.mp4")
      try stored.write(to: URL(fileURLWithPath: file))
      try assertDecodes(file)
    }
    XCTAssertEqual(try s3.openMultipartUploads(bucket: bucket), [])

    // S2, drop-in: M0's request, field for field, from the window's record.
    let requests = try ExampleScript.shapeOnly("s2-worker.sh", stdin: records[1].line)
    XCTAssertEqual(requests.status, 0, requests.stderr)
    let request = try XCTUnwrap(try requests.records().first)
    XCTAssertEqual(request["cloud_stream_path"], records[1]["cloud_stream_path"])
    XCTAssertEqual(request["live_start_time"], records[1]["clip_start_time"])
    XCTAssertEqual(request["inference_modality"], .string("live"))
    XCTAssertEqual(request["process_id"], .integer(501))
  }

  func testTheFastPathRecordsEachWindowAsAChunkAndGivesM1ItsMessage() throws {
    let bucket = try bucket("fast")
    let stream = try testbed.createStream("fast").name
    let camera = try LiveCamera(testbed, stream: stream)
    defer { camera.stop() }
    let follower = try follow(
      stream,
      destinations(bucket) + [
        "--record", "chunk", "--inference-config", #"{"vlm_provider":"bedrock"}"#,
      ], environment: s3Environment)
    let chunks = Array(try follower.waitForRecords(3).dropFirst().prefix(2))
    XCTAssertEqual(follower.terminate().status, 0, follower.stderr)
    for chunk in chunks {
      let stored = try object(chunk.text("cloud_stream_path"))
      XCTAssertEqual(Digest.sha256(stored).hexString, chunk.text("chunk_hash"))
      XCTAssertEqual(chunk["chunk_id"], .integer(1))
      XCTAssertEqual(chunk["start_time"], .double(0))
      XCTAssertEqual(chunk["end_time"], chunk["chunk_duration"])
      XCTAssertEqual(chunk["live_start_time"], chunk["chunk_start_time"])
      XCTAssertNotNil(chunk["process_id"]?.integerValue, "a process_id minted for the window: \(chunk)")
    }
    XCTAssertNotEqual(chunks[0]["process_id"], chunks[1]["process_id"], "one job per window")

    let graphql = try ToolInvocation.run(
      "gql-mutate", ["--op", "create-chunk"], stdin: chunks.map(\.line).joined(separator: "\n") + "\n",
      environment: [
        "GRAPHQL_ENDPOINT": try TestServices.require("GRAPHQL_ENDPOINT"),
        "GRAPHQL_TOKEN": try TestServices.require("GRAPHQL_TOKEN"),
      ])
    XCTAssertEqual(graphql.status, 0, graphql.stderr)
    let recorded = try graphql.records()
    XCTAssertEqual(recorded.count, 2)
    XCTAssertTrue(recorded.allSatisfy { $0["chunk_record_id"] != nil })
    let messages = try ExampleScript.shapeOnly("m0-worker.sh", stdin: recorded.map(\.line).joined(separator: "\n"))
    XCTAssertEqual(messages.status, 0, messages.stderr)
    let message = try XCTUnwrap(try messages.records().first)
    XCTAssertEqual(
      Set(message.fields.keys),
      [
        "process_id", "chunk_id", "chunk_hash", "cloud_stream_path", "cache_path", "start_time", "end_time",
        "inference_config", "inference_modality", "chunk_duration", "time_offset", "live_start_time",
      ], "M1's chunk message")
  }
}

extension Record {
  /// The record as one JSON line.
  var line: String { JSONSerializer.string(.object(fields)) }
}
