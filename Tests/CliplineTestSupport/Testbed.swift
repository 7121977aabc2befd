import Foundation

/// A testbed script from scripts/testbeds/, started with python3 on a port the kernel picks: it prints
/// `ready PORT` once listening, and this returns that port (a random port could be taken by someone else).
enum Testbed {
  static func start(_ process: Process, script name: String, _ arguments: [String]) throws -> Int {
    let script = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/testbeds/\(name)")
      .path
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", script] + arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let ready = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
    guard ready.hasPrefix("ready "), let port = Int(ready.dropFirst(6).trimmingCharacters(in: .whitespacesAndNewlines))
    else {
      process.terminate()
      throw TestFailure("\(name) did not start: \(ready)")
    }
    return port
  }
}
