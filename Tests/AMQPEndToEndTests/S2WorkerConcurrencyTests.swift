import CliplineTestSupport
import Foundation
import XCTest

/// examples/s2-worker.sh runs as many tasks at once as S2 ran FFmpeg workers (`S2_KVS_MAX_FFMPEG_WORKERS`), unless
/// clipline's own `CONCURRENCY` says otherwise. amqp-consume's prefetch is its concurrency, so the broker's list of
/// consumers says what the worker took.
final class S2WorkerConcurrencyTests: XCTestCase {
  let queue = "S2_PROCESSING_QUEUE"

  func testTheWorkerRunsS2sWorkerCountUnlessConcurrencyIsSet() throws {
    XCTAssertEqual(try prefetch(of: ["S2_KVS_MAX_FFMPEG_WORKERS": "3"]), "3")
    XCTAssertEqual(try prefetch(of: ["S2_KVS_MAX_FFMPEG_WORKERS": "3", "CONCURRENCY": "2"]), "2")
    XCTAssertEqual(try prefetch(of: [:]), "1")
  }

  /// Starts the worker with `environment`, reads its consumer's prefetch count from the broker, stops it.
  func prefetch(of environment: [String: String]) throws -> String {
    let scratch = try ScratchDirectory("s2-worker")
    let worker = Process()
    worker.executableURL = URL(fileURLWithPath: "/bin/bash")
    worker.arguments = [Broker.repositoryRoot + "/examples/s2-worker.sh"]
    var inherited = ProcessInfo.processInfo.environment
    inherited["CONCURRENCY"] = nil
    inherited["S2_KVS_MAX_FFMPEG_WORKERS"] = nil
    inherited["PATH"] = ToolInvocation.buildDirectory + ":" + (inherited["PATH"] ?? "/usr/bin:/bin")
    inherited["AMQP_URL"] = try Broker.url()
    inherited["VIDEO_STORE"] = "file://" + scratch.path
    worker.environment = inherited.merging(environment) { $1 }
    worker.standardOutput = FileHandle.nullDevice
    worker.standardError = FileHandle(forWritingAtPath: "/dev/null")
    try worker.run()
    defer {
      worker.terminate()
      worker.waitUntilExit()
    }
    var counts: [String] = []
    try eventually(timeout: 30, "the worker consumes \(queue)") {
      counts = try consumers()
      return !counts.isEmpty || !worker.isRunning
    }
    XCTAssertTrue(worker.isRunning, "the worker stopped at once")
    XCTAssertEqual(counts.count, 1, "one consumer on \(queue): \(counts)")
    return counts.first ?? ""
  }

  /// The prefetch counts of the consumers of `queue`, as rabbitmqctl lists them.
  func consumers() throws -> [String] {
    let script = try TestServices.require("RABBITMQ_SERVICE_SCRIPT")
    let directory = try TestServices.require("RABBITMQ_SERVICE_DIR")
    let listed = try ToolInvocation.runProcess(
      script, ["ctl", directory, "list_consumers", "-q", "--no-table-headers", "queue_name", "prefetch_count"])
    guard listed.status == 0 else { throw TestFailure("rabbitmqctl list_consumers: \(listed.stderr)") }
    return listed.stdoutLines.compactMap { line in
      let fields = line.split(whereSeparator: \.isWhitespace).map(String.init)
      return fields.count == 2 && fields[0] == queue ? fields[1] : nil
    }
  }
}
