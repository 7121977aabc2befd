import CliplineCache
import CliplineKVS
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// `kvs-discover` and the discovery cache against the KVS testbed and real redis-server processes.
final class DiscoveryTests: XCTestCase {
  func testTwentyFiveHundredStreamsComeOverPages() throws {
    let testbed = try KVSTestbed()
    let home = try ScratchDirectory("kvs-discover")
    let prefix = "bulk\(UUID().uuidString.prefix(6))-"
    try testbed.createStreams(prefix: prefix, count: 2500)
    try testbed.reset()
    let result = try testbed.run("kvs-discover", ["--prefix", prefix, "--no-cache"], home: home.path)
    XCTAssertEqual(result.status, 0, result.stderr)
    let records = try result.records()
    XCTAssertEqual(records.count, 2500)
    XCTAssertEqual(Set(records.compactMap { $0["stream_name"]?.stringValue }).count, 2500)
    XCTAssertTrue(records.allSatisfy { $0["stream_name"]?.stringValue?.hasPrefix(prefix) == true })
    // 1000 a page: three ListStreams calls, each asking BEGINS_WITH so no other stream came back.
    XCTAssertEqual(try testbed.requests()["ListStreams"], 3)
    let first = records[0]
    for field in [
      "camera_id", "stream_name", "stream_arn", "status", "media_type", "data_retention_hours", "creation_time",
    ] {
      XCTAssertNotNil(first[field], "missing \(field) in \(first.jsonText)")
    }
    XCTAssertEqual(first["data_retention_hours"], .integer(24))
  }

  func testOnlyActiveStreamsUnlessAll() throws {
    let testbed = try KVSTestbed()
    let home = try ScratchDirectory("kvs-discover")
    let prefix = "mixed\(UUID().uuidString.prefix(6))"
    let active = try testbed.createStream(prefix)
    let creating = try testbed.createStream(prefix, status: "CREATING")
    let activeOnly = try testbed.run("kvs-discover", ["--prefix", prefix, "--no-cache"], home: home.path)
    XCTAssertEqual(activeOnly.status, 0, activeOnly.stderr)
    XCTAssertEqual(try activeOnly.records().compactMap { $0["stream_name"]?.stringValue }, [active.name])
    let all = try testbed.run("kvs-discover", ["--prefix", prefix, "--no-cache", "--all"], home: home.path)
    let statuses = Dictionary(
      uniqueKeysWithValues: try all.records().map { ($0["stream_name"]!.stringValue!, $0["status"]!.stringValue!) })
    XCTAssertEqual(statuses, [active.name: "ACTIVE", creating.name: "CREATING"])
  }

  func testTheRedisCacheHitDoesNotCallTheAPI() throws {
    let testbed = try KVSTestbed()
    let redis = try TestServices.require("REDIS_URL")
    let home = try ScratchDirectory("kvs-discover")
    let prefix = "cached\(UUID().uuidString.prefix(6))"
    try testbed.createStream(prefix)
    try testbed.createStream(prefix)
    let arguments = ["--prefix", prefix, "--cache", redis, "--ttl", "5m"]
    let miss = try testbed.run("kvs-discover", arguments, home: home.path)
    XCTAssertEqual(miss.status, 0, miss.stderr)
    XCTAssertEqual(try testbed.requests()["ListStreams"], 1)
    let hit = try testbed.run("kvs-discover", arguments, home: home.path)
    XCTAssertEqual(hit.status, 0, hit.stderr)
    XCTAssertEqual(hit.stdout, miss.stdout)
    XCTAssertEqual(try testbed.requests()["ListStreams"], 1, "the cache hit called ListStreams")
    // The key holds the seed's JSON list, with a time to live.
    let connection = try RedisConnection(url: RedisURL(redis)!)
    guard case .bytes(let stored) = try connection.command("GET", "s2:cameras:discovered:\(prefix)"),
      case .array(let list) = try JSONParser.parse(stored)
    else { return XCTFail("no JSON list under the cache key") }
    XCTAssertEqual(list.count, 2)
    guard case .integer(let ttl) = try connection.command("TTL", "s2:cameras:discovered:\(prefix)") else {
      return XCTFail("no TTL")
    }
    XCTAssertTrue((1...300).contains(ttl), "TTL \(ttl)")
    // --refresh asks the API again and rewrites the cache.
    let refreshed = try testbed.run("kvs-discover", arguments + ["--refresh"], home: home.path)
    XCTAssertEqual(refreshed.status, 0, refreshed.stderr)
    XCTAssertEqual(try testbed.requests()["ListStreams"], 2)
  }

  func testTheFileCacheIsTheDefault() throws {
    let testbed = try KVSTestbed()
    let home = try ScratchDirectory("kvs-discover")
    let prefix = "filecache\(UUID().uuidString.prefix(6))"
    try testbed.createStream(prefix)
    let first = try testbed.run("kvs-discover", ["--prefix", prefix], home: home.path)
    XCTAssertEqual(first.status, 0, first.stderr)
    let second = try testbed.run("kvs-discover", ["--prefix", prefix], home: home.path)
    XCTAssertEqual(second.stdout, first.stdout)
    XCTAssertEqual(try testbed.requests()["ListStreams"], 1)
    let files = try FileManager.default.contentsOfDirectory(atPath: home.path + "/cache/clipline")
    XCTAssertEqual(files.count, 1, "\(files)")
  }

  func testRedisDownOrGarbageIsAWarningAndTheAPIAnswers() throws {
    let testbed = try KVSTestbed()
    let home = try ScratchDirectory("kvs-discover")
    let prefix = "redisdown\(UUID().uuidString.prefix(6))"
    let stream = try testbed.createStream(prefix)
    let server = try RedisProcess()
    let arguments = ["--prefix", prefix, "--cache", server.url]
    let warm = try testbed.run("kvs-discover", arguments, home: home.path)
    XCTAssertEqual(warm.status, 0, warm.stderr)

    // Unreadable data under the key.
    let connection = try RedisConnection(url: RedisURL(server.url)!)
    _ = try connection.command("SET", "s2:cameras:discovered:\(prefix)", "{not a list")
    let garbage = try testbed.run("kvs-discover", arguments, home: home.path)
    XCTAssertEqual(garbage.status, 0, garbage.stderr)
    XCTAssertTrue(garbage.stderr.contains("warning") && garbage.stderr.contains("unreadable"), garbage.stderr)
    XCTAssertEqual(try garbage.records().first?["stream_name"], .string(stream.name))

    server.stop()
    let down = try testbed.run("kvs-discover", arguments, home: home.path)
    XCTAssertEqual(down.status, 0, down.stderr)
    XCTAssertTrue(down.stderr.contains("warning") && down.stderr.contains("cannot be read"), down.stderr)
    XCTAssertEqual(try down.records().first?["stream_name"], .string(stream.name))
    XCTAssertEqual(try testbed.requests()["ListStreams"], 3)
  }

  /// Redis goes away while the discovery (and its open connection) lives: the next discovery still answers.
  func testRedisStoppedMidRun() throws {
    let testbed = try KVSTestbed()
    let prefix = "midrun\(UUID().uuidString.prefix(6))"
    let stream = try testbed.createStream(prefix)
    let server = try RedisProcess()
    let (diagnostics, captured) = Diagnostics.capturing(tool: "kvs-discover")
    let discovery = CameraDiscovery(cache: RedisRecordCache(url: RedisURL(server.url)!), diagnostics: diagnostics) {
      testbed.client()
    }
    var options = CameraDiscovery.Options()
    options.prefix = prefix
    XCTAssertEqual(try discovery.discover(options).source, .api)
    XCTAssertEqual(try discovery.discover(options).source, .cache)
    server.stop()
    let after = try discovery.discover(options)
    XCTAssertEqual(after.source, .api)
    XCTAssertEqual(after.cameras.map(\.streamName), [stream.name])
    XCTAssertTrue(captured.text.contains("cannot be read"), captured.text)
    XCTAssertTrue(captured.text.contains("cannot be written"), captured.text)
  }

  func testWindowTasksAreExactlyTheSeedMessage() throws {
    let testbed = try KVSTestbed()
    let home = try ScratchDirectory("kvs-discover")
    let prefix = "window\(UUID().uuidString.prefix(6))"
    let stream = try testbed.createStream(prefix)
    try testbed.createStream(prefix, status: "DELETING")
    let inference =
      #"{"vlm_provider":"bedrock","vlm_model":"amazon.nova-pro-v1","system_prompt_key":"security_live_v1"}"#
    let result = try testbed.run(
      "kvs-discover",
      [
        "--prefix", prefix, "--no-cache", "--window", "60s", "--delay", "30s", "--at", "2026-02-26T14:31:40Z",
        "--process-id", "501", "--inference-config", inference,
      ],
      home: home.path)
    XCTAssertEqual(result.status, 0, result.stderr)
    let tasks = try result.records()
    XCTAssertEqual(tasks.count, 1)
    let task = try XCTUnwrap(tasks.first)
    XCTAssertEqual(
      Set(task.fields.keys),
      ["camera_id", "stream_arn", "stream_name", "start_time", "end_time", "process_id", "inference_config"])
    XCTAssertEqual(task["camera_id"], .string(stream.name))
    XCTAssertEqual(task["stream_arn"], .string(stream.arn))
    XCTAssertEqual(task["stream_name"], .string(stream.name))
    XCTAssertEqual(task["start_time"], .string("2026-02-26T14:30:00Z"))
    XCTAssertEqual(task["end_time"], .string("2026-02-26T14:31:00Z"))
    XCTAssertEqual(task["process_id"], .integer(501))
    XCTAssertEqual(task["inference_config"], try JSONParser.parse(Array(inference.utf8)))
    // A rerun in the same window makes the same task; kvs-clip takes it as it is.
    let again = try testbed.run(
      "kvs-discover",
      [
        "--prefix", prefix, "--no-cache", "--window", "60s", "--delay", "30s", "--at", "2026-02-26T14:31:59Z",
        "--process-id", "501", "--inference-config", inference,
      ],
      home: home.path)
    XCTAssertEqual(again.stdout, result.stdout)
  }

  func testTheCameraIdComesFromATagWhenAsked() throws {
    let testbed = try KVSTestbed()
    let home = try ScratchDirectory("kvs-discover")
    let prefix = "tagged\(UUID().uuidString.prefix(6))"
    try testbed.createStream(prefix, tags: ["camera_id": "camera_front_entrance"])
    let result = try testbed.run(
      "kvs-discover", ["--prefix", prefix, "--no-cache", "--camera-id-tag", "camera_id"], home: home.path)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(try result.records().first?["camera_id"], .string("camera_front_entrance"))
  }

  func testThrottledListStreamsIsRetriedThenExits75() throws {
    let testbed = try KVSTestbed()
    let home = try ScratchDirectory("kvs-discover")
    let prefix = "throttle\(UUID().uuidString.prefix(6))"
    try testbed.createStream(prefix)
    try testbed.inject("ListStreams", error: "ClientLimitExceededException", count: 2)
    let survived = try testbed.run("kvs-discover", ["--prefix", prefix, "--no-cache"], home: home.path)
    XCTAssertEqual(survived.status, 0, survived.stderr)
    XCTAssertEqual(try survived.records().count, 1)
    XCTAssertTrue(survived.stderr.contains("ClientLimitExceededException"), survived.stderr)
    try testbed.inject("ListStreams", error: "ClientLimitExceededException", count: 10)
    let gaveUp = try testbed.run(
      "kvs-discover", ["--prefix", prefix, "--no-cache", "--attempts", "3"], home: home.path)
    XCTAssertEqual(gaveUp.status, 75, gaveUp.stderr)
    XCTAssertTrue(gaveUp.stderr.contains("kept throttling ListStreams"), gaveUp.stderr)
    XCTAssertEqual(gaveUp.stdout, "")
  }

  func testNotAuthorizedIs77() throws {
    let testbed = try KVSTestbed()
    let home = try ScratchDirectory("kvs-discover")
    try testbed.inject(
      "ListStreams", error: "NotAuthorizedException", status: 401, message: "The security token is invalid")
    let result = try testbed.run("kvs-discover", ["--no-cache"], home: home.path)
    XCTAssertEqual(result.status, 77, result.stderr)
    XCTAssertTrue(result.stderr.contains("not authorized") && result.stderr.contains("security token"), result.stderr)
  }

  func testBadFlagsAre64() throws {
    let home = try ScratchDirectory("kvs-discover")
    let result = try ToolInvocation.run("kvs-discover", ["--process-id", "5"], environment: ["HOME": home.path])
    XCTAssertEqual(result.status, 64, result.stderr)
    XCTAssertTrue(result.stderr.contains("go with --window"), result.stderr)
  }
}
