import Foundation

/// A built tool started in the background, for tests that watch its output while it runs (streaming, signals).
/// stdin is a pipe the test writes to; stdout is a pipe it reads; stderr goes to `standardError` (a file the test
/// reads afterwards) or is discarded.
public final class RunningTool {
  public let process = Process()
  private let input = Pipe()
  private let output = Pipe()

  public init(
    _ tool: String, _ arguments: [String], environment: [String: String] = [:], removingEnvironment: [String] = [],
    standardError: String? = nil
  ) throws {
    process.executableURL = URL(fileURLWithPath: ToolInvocation.path(of: tool))
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for name in removingEnvironment { env.removeValue(forKey: name) }
    env.merge(environment) { _, new in new }
    process.environment = env
    process.standardInput = input
    process.standardOutput = output
    if let standardError {
      _ = FileManager.default.createFile(atPath: standardError, contents: nil)
      process.standardError = FileHandle(forWritingAtPath: standardError)
    } else {
      process.standardError = FileHandle.nullDevice
    }
    _ = ToolInvocation.brokenPipesAreErrors
    try process.run()
  }

  deinit { if process.isRunning { process.terminate() } }

  public func write(_ text: String) throws {
    try input.fileHandleForWriting.write(contentsOf: Data(text.utf8))
  }

  public func closeInput() throws { try input.fileHandleForWriting.close() }

  /// Standard output, for a test that polls it itself.
  public var standardOutput: FileHandle { output.fileHandleForReading }

  /// Reads stdout until it holds at least `lines` complete lines, it ends, or `timeout` passes.
  public func read(lines: Int, timeout: TimeInterval = 60) -> Data {
    var received = Data()
    let deadline = Date().addingTimeInterval(timeout)
    while received.split(separator: UInt8(ascii: "\n")).count < lines, Date() < deadline {
      let piece = output.fileHandleForReading.availableData
      if piece.isEmpty { break }
      received.append(piece)
    }
    return received
  }

  /// Sends SIGTERM.
  public func terminate() { process.terminate() }

  /// Sends `number` (SIGHUP, say: the tools stop on it as on SIGTERM).
  public func signal(_ number: Int32) { _ = Foundation.kill(process.processIdentifier, number) }

  /// Sends SIGKILL: the process dies where it stands.
  public func kill() { _ = Foundation.kill(process.processIdentifier, SIGKILL) }

  /// Reads the rest of stdout and waits for the exit; returns what was read.
  public func finish() -> Data {
    let rest = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return rest
  }

  public var status: Int32 { process.terminationStatus }
}
