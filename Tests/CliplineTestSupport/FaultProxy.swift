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
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    // Port 0: the kernel picks a free one and the proxy says which (a random port could be taken).
    process.arguments =
      ["python3", script, "--port", "0", "--upstream", upstream, "--fail-first", String(failFirst)]
      + (corrupt.map { ["--corrupt", $0] } ?? []) + (rate.map { ["--rate", String($0)] } ?? [])
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let ready = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
    guard ready.hasPrefix("ready "), let port = Int(ready.dropFirst(6).trimmingCharacters(in: .whitespacesAndNewlines))
    else {
      process.terminate()
      throw TestFailure("the fault proxy did not start: \(ready)")
    }
    endpoint = "http://127.0.0.1:\(port)"
  }

  deinit {
    process.terminate()
    process.waitUntilExit()
  }
}
