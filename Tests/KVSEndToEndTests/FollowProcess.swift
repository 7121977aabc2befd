import CliplineRecords
import CliplineTestSupport
import Foundation

/// `kvs-follow` running against the testbed: its records as they come (stdout polled, never blocked on), its stderr
/// in a file, and how it ends.
final class FollowProcess {
  let tool: RunningTool
  let errorPath: String
  private var pending = Data()
  private(set) var records: [Record] = []

  init(
    _ testbed: KVSTestbed, _ arguments: [String], home: ScratchDirectory, name: String = "follow",
    environment: [String: String] = [:]
  ) throws {
    errorPath = home.file("\(name)-\(UUID().uuidString.prefix(6)).err")
    tool = try RunningTool(
      "kvs-follow", arguments, environment: testbed.environment(home: home.path).merging(environment) { $1 },
      removingEnvironment: KVSTestbed.removedEnvironment, standardError: errorPath)
  }

  deinit { if tool.process.isRunning { tool.kill() } }

  var stderr: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

  /// Waits until `count` records in all have come; throws with what stderr said when they do not.
  @discardableResult
  func waitForRecords(_ count: Int, timeout: Double = 60) throws -> [Record] {
    let deadline = Date().addingTimeInterval(timeout)
    while records.count < count {
      let left = deadline.timeIntervalSinceNow
      guard left > 0, readSome(waiting: min(left, 1)) != .ended else {
        throw TestFailure("kvs-follow wrote \(records.count) of \(count) records; stderr: \(stderr.suffix(2000))")
      }
    }
    return records
  }

  enum Reading { case read, nothingYet, ended }

  /// Reads what stdout has within `seconds`.
  private func readSome(waiting seconds: Double) -> Reading {
    var descriptor = pollfd(fd: tool.standardOutput.fileDescriptor, events: Int16(POLLIN), revents: 0)
    guard poll(&descriptor, 1, Int32(seconds * 1000)) > 0 else { return .nothingYet }
    let piece = tool.standardOutput.availableData
    guard !piece.isEmpty else { return .ended }
    pending.append(piece)
    while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
      let line = pending[pending.startIndex..<newline]
      pending.removeSubrange(pending.startIndex...newline)
      if case .object(let object)? = try? JSONParser.parse(Array(line)) { records.append(Record(object)) }
    }
    return .read
  }

  /// Reads until stdout ends (killing the process if it has not ended in `seconds`).
  private func drain(within seconds: Double) {
    let deadline = Date().addingTimeInterval(seconds)
    while readSome(waiting: 0.2) != .ended {
      if Date() > deadline, tool.process.isRunning { tool.kill() }
    }
    tool.process.waitUntilExit()
  }

  /// SIGTERM (or `signal`); returns the exit status and how long the exit took. Records written meanwhile are read.
  func terminate(by signal: Int32 = SIGTERM) -> (status: Int32, seconds: Double) {
    let began = Date()
    tool.signal(signal)
    tool.process.waitUntilExit()
    let seconds = Date().timeIntervalSince(began)
    drain(within: 5)
    return (tool.status, seconds)
  }

  /// SIGKILL, and what was written before it.
  func kill() {
    tool.kill()
    drain(within: 5)
  }
}

extension Record {
  func text(_ field: String) -> String { self[field]?.stringValue ?? "" }
}
