import CliplineCache
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// The S2 deployment's variables where they mean something to clipline: REDIS_HOST, REDIS_PORT and REDIS_PASSWORD
/// name kvs-discover's cache (after --cache and REDIS_URL), S2_CLIP_DURATION a manual kvs-clip task's length
/// (after --end-time). Against the KVS testbed and redis-server processes of the test's own.
final class S2EnvironmentTests: XCTestCase {
  let password = "s2-redis-secret"

  func run(
    _ tool: String, _ arguments: [String], _ testbed: KVSTestbed, home: ScratchDirectory,
    environment extra: [String: String]
  ) throws -> ToolResult {
    try ToolInvocation.run(
      tool, arguments, environment: testbed.environment(home: home.path).merging(extra) { _, new in new },
      removingEnvironment: KVSTestbed.removedEnvironment)
  }

  /// What the key holds, asked with redis-cli (a client independent of ours).
  func redisGet(_ url: String, _ key: String, password: String? = nil) throws -> String {
    let port = String(url.split(separator: ":").last!)
    let auth = password.map { ["-a", $0, "--no-auth-warning"] } ?? []
    let result = try ToolInvocation.runProcess("/usr/bin/redis-cli", ["-p", port] + auth + ["GET", key])
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  func testS2sRedisVariablesNameTheCameraCache() throws {
    let testbed = try KVSTestbed()
    let home = try ScratchDirectory("kvs-discover")
    let redis = try RedisProcess(arguments: ["--requirepass", password])
    let prefix = "s2redis\(UUID().uuidString.prefix(6))"
    try testbed.createStream(prefix)
    let port = String(redis.url.split(separator: ":").last!)
    let s2 = ["REDIS_HOST": "127.0.0.1", "REDIS_PORT": port, "REDIS_PASSWORD": password]
    let first = try run("kvs-discover", ["--prefix", prefix], testbed, home: home, environment: s2)
    XCTAssertEqual(first.status, 0, first.stderr)
    XCTAssertEqual(first.stderr, "")
    let second = try run("kvs-discover", ["--prefix", prefix], testbed, home: home, environment: s2)
    XCTAssertEqual(second.stdout, first.stdout)
    XCTAssertEqual(try testbed.requests()["ListStreams"], 1, "the second run came from the cache")
    XCTAssertTrue(try redisGet(redis.url, "s2:cameras:discovered:\(prefix)", password: password).contains(prefix))
    XCTAssertFalse(FileManager.default.fileExists(atPath: home.path + "/cache/clipline"), "no file cache")

    // A wrong password is a warning (the cache is never a dependency) that does not say the password.
    let wrong = try run(
      "kvs-discover", ["--prefix", prefix], testbed, home: home,
      environment: s2.merging(["REDIS_PASSWORD": "nope-x"]) {
        _, new in new
      })
    XCTAssertEqual(wrong.status, 0, wrong.stderr)
    XCTAssertTrue(wrong.stderr.contains("warning"), wrong.stderr)
    XCTAssertFalse(wrong.stderr.contains("nope-x"), wrong.stderr)
  }

  func testFlagsAndREDIS_URLWinOverS2sNames() throws {
    let testbed = try KVSTestbed()
    let home = try ScratchDirectory("kvs-discover")
    let s2Redis = try RedisProcess(arguments: ["--requirepass", password])
    let ours = try RedisProcess(arguments: ["--requirepass", password])
    let prefix = "s2order\(UUID().uuidString.prefix(6))"
    try testbed.createStream(prefix)
    let key = "s2:cameras:discovered:\(prefix)"
    var environment = [
      "REDIS_HOST": "127.0.0.1", "REDIS_PORT": String(s2Redis.url.split(separator: ":").last!),
      "REDIS_PASSWORD": password, "REDIS_URL": ours.url,
    ]
    XCTAssertEqual(
      try run("kvs-discover", ["--prefix", prefix], testbed, home: home, environment: environment).status, 0)
    XCTAssertTrue(try redisGet(ours.url, key, password: password).contains(prefix), "REDIS_URL, with REDIS_PASSWORD")
    XCTAssertEqual(try redisGet(s2Redis.url, key, password: password), "")

    environment["REDIS_URL"] = nil
    let flag = try run(
      "kvs-discover", ["--prefix", prefix, "--cache", home.file("files")], testbed, home: home,
      environment: environment)
    XCTAssertEqual(flag.status, 0, flag.stderr)
    XCTAssertEqual(try redisGet(s2Redis.url, key, password: password), "", "--cache won")
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: home.file("files")).count, 1)

    // A password in a flag's URL works, and warns that ps shows it.
    let inFlag = try run(
      "kvs-discover", ["--prefix", prefix, "--cache", "redis://:\(password)@127.0.0.1:" + environment["REDIS_PORT"]!],
      testbed, home: home, environment: [:])
    XCTAssertEqual(inFlag.status, 0, inFlag.stderr)
    XCTAssertTrue(inFlag.stderr.contains("(--cache) is readable by every user"), inFlag.stderr)
    XCTAssertTrue(inFlag.stderr.contains("REDIS_PASSWORD"), inFlag.stderr)
    XCTAssertFalse(inFlag.stderr.contains(password), inFlag.stderr)
    XCTAssertTrue(try redisGet(s2Redis.url, key, password: password).contains(prefix))
  }

  /// A manual task with only a start lasts S2_CLIP_DURATION seconds; --end-time wins; a bad value is said.
  func testS2ClipDurationEndsAManualTask() throws {
    let testbed = try KVSTestbed()
    let work = try ScratchDirectory("kvs-clip")
    let stream = try testbed.createStream("s2duration", video: try FixtureVideo.path(ClipTests.camera))
    let task = ["--camera-id", "front", "--stream-name", stream.name, "--start-time", "2026-02-26T14:30:10Z"]
    let clip = try run(
      "kvs-clip", ["--work-dir", work.path] + task, testbed, home: work, environment: ["S2_CLIP_DURATION": "20"])
    XCTAssertEqual(clip.status, 0, clip.stderr)
    let record = try XCTUnwrap(try clip.records().first)
    XCTAssertEqual(record["end_time"], .string("2026-02-26T14:30:30Z"))
    XCTAssertEqual(try MediaCheck.duration(try XCTUnwrap(record["clip_path"]?.stringValue)), 20, accuracy: 0.1)

    let explicit = try run(
      "kvs-clip", ["--work-dir", work.path, "--hls"] + task + ["--end-time", "2026-02-26T14:30:50Z"], testbed,
      home: work, environment: ["S2_CLIP_DURATION": "20"])
    XCTAssertEqual(try explicit.records().first?["end_time"], .string("2026-02-26T14:30:50Z"), explicit.stderr)

    let missing = try run("kvs-clip", ["--work-dir", work.path] + task, testbed, home: work, environment: [:])
    XCTAssertEqual(missing.status, 64)
    XCTAssertTrue(missing.stderr.contains("S2_CLIP_DURATION"), missing.stderr)
    let bad = try run(
      "kvs-clip", ["--work-dir", work.path] + task, testbed, home: work, environment: ["S2_CLIP_DURATION": "1m"])
    XCTAssertEqual(bad.status, 64)
    XCTAssertTrue(bad.stderr.contains("S2_CLIP_DURATION is \"1m\""), bad.stderr)
  }
}
