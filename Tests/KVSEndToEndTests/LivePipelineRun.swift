import CliplineBlobStores
import CliplineCrypto
import CliplineRecords
import CliplineTestSupport
import Foundation
import XCTest

/// The shipped live pipeline as production runs it: `examples/s2-scheduler.sh` (cron), `examples/s2-worker.sh` and
/// `examples/m0-worker.sh` (amqp-consume), with the built tools first on PATH, against the KVS testbed, SeaweedFS,
/// RabbitMQ, Redis and the GraphQL backend. Every queue between them is read by pika and checked against the seeds'
/// pydantic models (`scripts/testbeds/seed_messages.py`) before the next stage takes it.
struct LivePipelineRun {
  static let queues = [
    "S2_PROCESSING_QUEUE", "S2_PROCESSING_DLQ", "M0_PRIORITY_QUEUE", "M0_DEADLETTER_QUEUE", "M0_RESULTS_QUEUE",
  ]
  let environment: [String: String]
  let s3: S3Store
  let scratch: ScratchDirectory

  init(testbed: KVSTestbed, videos: String, cache: String, streamPrefix: String, scratch: ScratchDirectory) throws {
    let server = try S3TestServer.require()
    s3 = server.store()
    self.scratch = scratch
    let path = ToolInvocation.buildDirectory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    // The KVS testbed checks no signature: S3's identity serves both, as one AWS account's would.
    environment = testbed.environment(home: scratch.path).merging(server.toolEnvironment) { $1 }.merging([
      "PATH": path, "AMQP_URL": try Broker.url(), "REDIS_URL": try TestServices.require("REDIS_URL"),
      "GRAPHQL_ENDPOINT": try TestServices.require("GRAPHQL_ENDPOINT"),
      "GRAPHQL_TOKEN": try TestServices.require("GRAPHQL_TOKEN"), "VIDEO_STORE": "s3://\(videos)",
      "CACHE_STORE": "s3:/", "CACHE_CONTAINER": cache, "CHUNK_DURATION": "20", "STREAM_PREFIX": streamPrefix,
    ]) { $1 }
  }

  /// Runs `examples/NAME` to its end (the workers with COUNT set).
  func example(_ name: String, _ extra: [String: String]) throws -> ToolResult {
    try ToolInvocation.runProcess(
      "/bin/bash", [ExampleScript.root.appendingPathComponent("examples/\(name)").path],
      environment: environment.merging(extra) { $1 }, removingEnvironment: KVSTestbed.removedEnvironment,
      timeout: 600)
  }

  func messages(_ queue: String, as model: String, count: Int) throws -> [(body: Record, headers: Record)] {
    try SeedMessages.check(queue, as: model, count: count)
  }

  func purge(_ queues: [String] = Self.queues) throws { try SeedMessages.purge(queues) }

  /// Every object in `bucket`, by URL, with the SHA-256 of its bytes as stored.
  func objects(_ bucket: String) throws -> [String: String] {
    var objects: [String: String] = [:]
    for info in try s3.list(prefix: .s3(bucket: bucket, key: "")) {
      let path = scratch.file("object-\(UUID().uuidString)")
      _ = try s3.get(info.location, to: path)
      objects[info.location.description] = try Digest.ofFile(path).hexString
      unlink(path)
    }
    return objects
  }
}

/// The seeds' pydantic models reading a real queue through pika (`scripts/testbeds/seed_messages.py`).
enum SeedMessages {
  /// Every message on `queue`, left there, each checked against the seed's `model`; fails on one the model refuses.
  static func check(_ queue: String, as model: String, count: Int) throws -> [(body: Record, headers: Record)] {
    let result = try run(["check", queue, model])
    XCTAssertEqual(result.status, 0, result.stderr)
    var messages: [(Record, Record)] = []
    for line in try result.records() {
      XCTAssertEqual(line["valid"], .bool(true), "\(queue): the seed's \(model) refuses \(line)")
      let body = line["body"].flatMap { $0.objectValue.map(Record.init) } ?? Record()
      messages.append((body, line["headers"].flatMap { $0.objectValue.map(Record.init) } ?? Record()))
    }
    XCTAssertEqual(messages.count, count, "\(queue): \(result.stdout)")
    return messages
  }

  static func purge(_ queues: [String]) throws {
    let result = try run(["purge"] + queues)
    XCTAssertEqual(result.status, 0, result.stderr)
  }

  private static func run(_ arguments: [String]) throws -> ToolResult {
    try ToolInvocation.runProcess(
      "/usr/bin/env",
      ["python3", ExampleScript.root.appendingPathComponent("scripts/testbeds/seed_messages.py").path] + arguments,
      environment: ["AMQP_URL": try Broker.url()])
  }
}
