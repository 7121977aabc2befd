import CliplineTestSupport
import Foundation
import XCTest

/// A health file that stops being writable mid-run (its file system turned read-only) was said nowhere: a liveness
/// probe read a stale file with no explanation. The consumer goes on working and says so once.
final class AMQPConsumeHealthFileTests: XCTestCase {
  func testAHealthFileThatCannotBeRewrittenIsSaidOnceAndTheConsumerGoesOn() throws {
    let scratch = try ScratchDirectory("amqp-health")
    let directory = (scratch.file("health") as NSString).standardizingPath
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let mounted = try ToolInvocation.runProcess(
      "/usr/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", directory])
    XCTAssertEqual(mounted.status, 0, "this test mounts a tmpfs: \(mounted.stderr)")
    defer { _ = try? ToolInvocation.runProcess("/usr/bin/umount", ["-l", directory]) }
    let health = directory + "/health.json"
    let queue = Broker.uniqueQueue("health")
    try Broker.declare(queue)
    let consumer = try BackgroundTool(
      "amqp-consume", ["--queue", queue, "--health-file", health, "--", "cat"],
      environment: ["AMQP_URL": try Broker.url()], scratch: scratch)
    defer { if consumer.process.isRunning { consumer.process.terminate() } }
    try eventually("the first health file") { FileManager.default.fileExists(atPath: health) }
    let remounted = try ToolInvocation.runProcess("/usr/bin/mount", ["-o", "remount,ro", directory])
    XCTAssertEqual(remounted.status, 0, remounted.stderr)
    try eventually("the warning") { consumer.stderr.contains("--health-file \(health) cannot be written") }
    Thread.sleep(forTimeInterval: 2.5)  // two more rewrites fail: still one warning
    let published = try ToolInvocation.run(
      "amqp-pub", ["--queue", queue], stdin: #"{"n":1}"# + "\n", environment: ["AMQP_URL": try Broker.url()])
    XCTAssertEqual(published.status, 0, published.stderr)
    try eventually("the message handled") { consumer.stdout.contains(#"{"n":1}"#) }
    kill(consumer.process.processIdentifier, SIGTERM)
    XCTAssertEqual(try consumer.wait(timeout: 30), 0, consumer.stderr)
    let warnings = consumer.stderr.components(separatedBy: "cannot be written").count - 1
    XCTAssertEqual(warnings, 1, consumer.stderr)
    XCTAssertTrue(consumer.stderr.contains("Read-only file system"), consumer.stderr)
  }
}
