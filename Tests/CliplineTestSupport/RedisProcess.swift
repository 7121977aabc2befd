import CliplineCache
import Foundation

/// A redis-server of the test's own, on a free port, in the foreground (a daemonizing child confuses
/// Foundation's Process), so the test can stop it.
public final class RedisProcess {
  public let url: String
  private let directory: ScratchDirectory
  private let process = Process()

  /// - Parameter arguments: more redis-server options (`--requirepass`, …).
  public init(arguments: [String] = []) throws {
    directory = try ScratchDirectory("redis")
    let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("scripts")
    let port = try ToolInvocation.runProcess(scripts.appendingPathComponent("free-port").path, [])
      .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
    process.arguments =
      [
        "--port", port, "--bind", "127.0.0.1", "--dir", directory.path, "--save", "", "--appendonly", "no",
        "--logfile", directory.file("redis.log"),
      ] + arguments
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    url = "redis://127.0.0.1:\(port)"
    for _ in 0..<100 {
      if (try? RedisConnection(url: RedisURL(url)!, timeout: 0.2)) != nil { return }
      Thread.sleep(forTimeInterval: 0.05)
    }
    stop()
    throw TestFailure("redis-server on \(port) never answered")
  }

  public func stop() {
    guard process.isRunning else { return }
    process.terminate()
    process.waitUntilExit()
  }

  deinit { stop() }
}
