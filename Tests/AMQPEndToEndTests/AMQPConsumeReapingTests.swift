import CliplineTestSupport
import Foundation
import XCTest

/// amqp-consume reaps what it inherits: as PID 1 of a container (here a PID namespace of our own), and anywhere as
/// a child subreaper. Each handler leaves a background process behind; once those end, none may stay a zombie.
/// The process left behind is in a session of its own (setsid): what stays in the handler's process group dies
/// with the handler (`AMQPConsumeStopsTests`), what escapes it is re-parented to amqp-consume. The handler exits
/// only once it has escaped (it says so in a file), or the group's end could catch it first.
final class AMQPConsumeReapingTests: XCTestCase {
  static let handler = [
    "/bin/sh", "-c",
    #"cat > /dev/null; ready="$CLIPLINE_WORK_DIR/ready"; "#
      + #"setsid sh -c 'echo > "$1"; exec sleep 1 > /dev/null 2>&1' sh "$ready" & "#
      + #"while [ ! -s "$ready" ]; do sleep 0.01; done; exit 0"#,
  ]

  func testAsPIDOneItReapsTheOrphansItInherits() throws {
    try reapsOrphans(inPIDNamespace: true)
  }

  func testAsAChildSubreaperItReapsWhatHandlersLeftBehind() throws {
    try reapsOrphans(inPIDNamespace: false)
  }

  private func reapsOrphans(inPIDNamespace: Bool) throws {
    let environment = ["AMQP_URL": try Broker.url()]
    let queue = Broker.uniqueQueue("reap")
    let published = try ToolInvocation.run(
      "amqp-pub", ["--queue", queue, "--declare"], stdin: records(5), environment: environment)
    XCTAssertEqual(published.status, 0, published.stderr)

    let consume = [ToolInvocation.path(of: "amqp-consume"), "--queue", queue, "--"] + Self.handler
    let process = Process()
    process.executableURL = URL(fileURLWithPath: inPIDNamespace ? "/usr/bin/unshare" : consume[0])
    process.arguments =
      inPIDNamespace ? ["--pid", "--fork", "--mount-proc", "--"] + consume : Array(consume.dropFirst())
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    defer { if process.isRunning { process.terminate() } }

    // The consumer itself: the process we started, or the PID namespace's first process, below unshare.
    var consumer = process.processIdentifier
    if inPIDNamespace {
      try eventually("unshare's child") { Self.children(of: process.processIdentifier).count == 1 }
      consumer = Self.children(of: process.processIdentifier)[0]
      XCTAssertEqual(try Self.namespacePID(of: consumer), 1, "amqp-consume is PID 1 in its namespace")
    }
    _ = try Broker.waitForDepth(queue, 0)
    var adopted = 0
    try eventually(timeout: 30, "every message handled, every orphan ended and reaped") {
      let children = Self.children(of: consumer)
      adopted = max(adopted, children.filter { Self.command(of: $0) == "sleep" }.count)
      let zombies = children.filter { Self.state(of: $0) == "Z" }
      let sleeping = children.filter { Self.command(of: $0) == "sleep" && Self.state(of: $0) != "Z" }
      return try Broker.depth(queue) == 0 && zombies.isEmpty && sleeping.isEmpty && adopted > 0
    }
    XCTAssertGreaterThan(adopted, 0, "the handlers' background processes were re-parented to amqp-consume")
    kill(consumer, SIGTERM)
    process.waitUntilExit()
  }

  /// The pids listed in /proc/PID/task/*/children.
  static func children(of pid: pid_t) -> [pid_t] {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    return tasks.flatMap { task in
      ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? "")
        .split(separator: " ").compactMap { pid_t($0) }
    }
  }

  /// The state letter of /proc/PID/stat (R, S, Z, ...).
  static func state(of pid: pid_t) -> String? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return nil }
    return stat[stat.index(close, offsetBy: 2)...].first.map(String.init)
  }

  static func command(of pid: pid_t) -> String? {
    (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .newlines)
  }

  /// The pid a process has in its own PID namespace (the last NSpid of /proc/PID/status).
  static func namespacePID(of pid: pid_t) throws -> Int? {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    let line = status.split(separator: "\n").first { $0.hasPrefix("NSpid:") }
    return line?.split(whereSeparator: { $0 == "\t" || $0 == " " }).last.flatMap { Int($0) }
  }
}
