import CliplineAMQP
import CliplineRecords
import CliplineSystem
import Foundation
import XCTest

/// The real RabbitMQ that scripts/services.d/rabbitmq started, and small helpers around it.
public enum Broker {
  public static func url(fileID: String = #fileID) throws -> String {
    try TestServices.require("AMQP_URL", fileID: fileID)
  }

  public static func options(fileID: String = #fileID) throws -> ConnectionOptions {
    ConnectionOptions(endpoint: try AMQPEndpoint(url: try url(fileID: fileID)))
  }

  /// A queue name no other test uses.
  public static func uniqueQueue(_ prefix: String) -> String {
    "test.\(prefix).\(UUID().uuidString.prefix(8).lowercased())"
  }

  public static func declare(_ queue: String, deadLetterQueue: String? = nil, fileID: String = #fileID) throws {
    let connection = try AMQPConnection(try options(fileID: fileID))
    defer { connection.close() }
    try QueueTopology(queue: queue, deadLetterQueue: deadLetterQueue ?? queue + ".dlq").declare(on: connection)
  }

  /// Ready messages in a queue.
  public static func depth(_ queue: String, fileID: String = #fileID) throws -> Int {
    let connection = try AMQPConnection(try options(fileID: fileID))
    defer { connection.close() }
    return try connection.declareQueue(queue, passive: true).messages
  }

  /// Waits until a queue holds `count` ready messages (confirms and dead-lettering are asynchronous on the broker).
  public static func waitForDepth(_ queue: String, _ count: Int, timeout: Double = 15, fileID: String = #fileID) throws
    -> Int
  {
    let end = Date().addingTimeInterval(timeout)
    var depth = try Broker.depth(queue, fileID: fileID)
    while depth != count && Date() < end {
      Thread.sleep(forTimeInterval: 0.1)
      depth = try Broker.depth(queue, fileID: fileID)
    }
    return depth
  }

  /// pika reads (and acks) up to `count` messages: body, headers, properties, as dictionaries.
  public static func pikaGet(_ queue: String, count: Int = 1, fileID: String = #fileID) throws -> [[String: Any]] {
    let result = try ToolInvocation.runProcess(
      "/usr/bin/env", ["python3", peerScript, "get", queue, String(count)],
      environment: ["AMQP_URL": try url(fileID: fileID)])
    guard result.status == 0 else { throw TestFailure("pika get failed: \(result.stderr)") }
    return try result.stdoutLines.map {
      try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
    }
  }

  public static func pikaPublish(
    _ queue: String, body: String, headers: [String: String], fileID: String = #fileID
  ) throws {
    let result = try ToolInvocation.runProcess(
      "/usr/bin/env", ["python3", peerScript, "publish", queue, body] + headers.map { "\($0.key)=\($0.value)" },
      environment: ["AMQP_URL": try url(fileID: fileID)])
    guard result.status == 0 else { throw TestFailure("pika publish failed: \(result.stderr)") }
  }

  public static var repositoryRoot: String {
    var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
      directory = directory.deletingLastPathComponent()
    }
    return directory.path
  }

  public static var peerScript: String { repositoryRoot + "/scripts/testbeds/amqp_peer.py" }

  /// Stops, starts or restarts the node through its service script (same ports, same data).
  public static func control(_ action: String, _ arguments: String..., fileID: String = #fileID) throws {
    let script = try TestServices.require("RABBITMQ_SERVICE_SCRIPT", fileID: fileID)
    let directory = try TestServices.require("RABBITMQ_SERVICE_DIR", fileID: fileID)
    let result = try ToolInvocation.runProcess(script, [action, directory] + arguments, timeout: 120)
    guard result.status == 0 else { throw TestFailure("rabbitmq \(action) failed: \(result.stderr)") }
  }
}

/// A built tool running in the background, for tests that signal or kill it mid-run.
public final class BackgroundTool {
  public let process = Process()
  public let input = Pipe()
  private let outputFile: String
  private let errorFile: String

  public init(_ tool: String, _ arguments: [String], environment: [String: String] = [:], scratch: ScratchDirectory)
    throws
  {
    process.executableURL = URL(fileURLWithPath: ToolInvocation.path(of: tool))
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    outputFile = scratch.file("\(tool)-\(UUID().uuidString).out")
    errorFile = scratch.file("\(tool)-\(UUID().uuidString).err")
    _ = FileManager.default.createFile(atPath: outputFile, contents: nil)
    _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
    process.standardInput = input
    process.standardOutput = FileHandle(forWritingAtPath: outputFile)
    process.standardError = FileHandle(forWritingAtPath: errorFile)
    _ = ToolInvocation.brokenPipesAreErrors
    try process.run()
  }

  public func write(_ text: String) throws { try input.fileHandleForWriting.write(contentsOf: Data(text.utf8)) }

  public func closeInput() throws { try input.fileHandleForWriting.close() }

  public var stdout: String { (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? "" }
  public var stderr: String { (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? "" }

  /// Waits for the exit; fails the test when it takes longer than `timeout`.
  public func wait(timeout: Double = 120) throws -> Int32 {
    let end = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.05) }
    if process.isRunning {
      process.terminate()
      throw TestFailure("\(process.executableURL!.lastPathComponent) did not finish in \(Int(timeout)) s: \(stderr)")
    }
    return process.terminationStatus
  }
}

/// Polls until `condition` holds or `timeout` passes.
public func eventually(timeout: Double = 20, _ what: String, _ condition: () throws -> Bool) throws {
  let end = Date().addingTimeInterval(timeout)
  while Date() < end {
    if try condition() { return }
    Thread.sleep(forTimeInterval: 0.05)
  }
  throw TestFailure("timed out waiting for \(what)")
}

/// A process that still runs (a zombie nobody reaped yet counts as gone).
public func isAlive(_ pid: Int32) -> Bool {
  guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
  guard let close = stat.lastIndex(of: ")") else { return false }
  return !stat[stat.index(after: close)...].hasPrefix(" Z")
}

public func records(_ count: Int, from start: Int = 0) -> String {
  (start..<(start + count)).map { "{\"n\":\($0)}\n" }.joined()
}
