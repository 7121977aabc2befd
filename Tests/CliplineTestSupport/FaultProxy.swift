import Foundation

/// scripts/testbeds/fault_proxy.py in front of a real server: answers the first requests with 503 SlowDown, or
/// flips a byte of every PUT body (`corrupt: "requests"`) or GET answer (`"responses"`), or slows the link (`rate`
/// MB/s each way). Stopped when released.
public final class FaultProxy {
  public let endpoint: String
  private let process = Process()

  public init(upstream: String, failFirst: Int = 0, corrupt: String? = nil, rate: Double? = nil) throws {
    let script = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
        "scripts/testbeds/fault_proxy.py"
      ).path
    let port = Int.random(in: 30000...44000)
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments =
      ["python3", script, "--port", String(port), "--upstream", upstream, "--fail-first", String(failFirst)]
      + (corrupt.map { ["--corrupt", $0] } ?? []) + (rate.map { ["--rate", String($0)] } ?? [])
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let ready = output.fileHandleForReading.availableData
    guard String(decoding: ready, as: UTF8.self).contains("ready") else {
      process.terminate()
      throw TestFailure("the fault proxy did not start")
    }
    endpoint = "http://127.0.0.1:\(port)"
  }

  deinit {
    process.terminate()
    process.waitUntilExit()
  }
}
