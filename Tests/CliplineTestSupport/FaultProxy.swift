import Foundation

/// scripts/testbeds/fault_proxy.py in front of a real server: answers the first requests with 503 SlowDown, or
/// flips a byte of every PUT body (`corrupt: "requests"`) or GET answer (`"responses"`), or slows the link (`rate`
/// MB/s each way). Stopped when released.
public final class FaultProxy {
  public let endpoint: String
  private let process = Process()

  public init(
    upstream: String, failFirst: Int = 0, failQuery: String? = nil, corrupt: String? = nil, rate: Double? = nil,
    holdQuery: String? = nil
  ) throws {
    // Port 0: the kernel picks a free one and the proxy says which.
    var arguments: [String] = ["--port", "0", "--upstream", upstream, "--fail-first", String(failFirst)]
    if let failQuery { arguments += ["--fail-query", failQuery] }
    if let corrupt { arguments += ["--corrupt", corrupt] }
    if let rate { arguments += ["--rate", String(rate)] }
    if let holdQuery { arguments += ["--hold-query", holdQuery] }
    let port = try Testbed.start(process, script: "fault_proxy.py", arguments)
    endpoint = "http://127.0.0.1:\(port)"
  }

  /// With `holdQuery`: returns once the proxy holds the first request naming it.
  public func waitUntilHeld() throws { try control("GET", "held") }

  /// Lets the held request go on to the server.
  public func release() throws { try control("POST", "release") }

  private func control(_ method: String, _ name: String) throws {
    let result = try ToolInvocation.runProcess(
      "/usr/bin/env", ["curl", "-fsS", "-X", method, "\(endpoint)/_clipline/\(name)"], timeout: 120)
    guard result.status == 0 else { throw TestFailure("fault proxy /_clipline/\(name): \(result.stderr)") }
  }

  deinit {
    process.terminate()
    process.waitUntilExit()
  }
}
