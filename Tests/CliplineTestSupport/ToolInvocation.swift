import CliplineRecords
import CliplineSystem
import Foundation

/// Runs a built clipline tool the way a shell would, for end-to-end tests.
public struct ToolResult {
  public let stdout: String
  public let stderr: String
  public let status: Int32

  public var stdoutLines: [String] { stdout.split(separator: "\n").map(String.init) }

  /// stdout parsed as records; a line that is not a JSON object fails the parse loudly.
  public func records() throws -> [Record] { try stdoutLines.map { try Record(json: $0) } }
}

public enum ToolInvocation {
  /// A tool that exits before reading all its stdin (amqp-pub with a broker it cannot reach) makes our write fail
  /// with EPIPE; without this, SIGPIPE would end the whole test process.
  public static let brokenPipesAreErrors: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

  /// Where `swift build` put the executables: next to the test bundle.
  public static var buildDirectory: String {
    let executable =
      (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
      ?? CommandLine.arguments[0]
    var directory = (executable as NSString).deletingLastPathComponent
    // On Linux the test runner is `<pkg>PackageTests.xctest` in the build directory itself.
    if directory.hasSuffix(".xctest") { directory = (directory as NSString).deletingLastPathComponent }
    return directory
  }

  public static func path(of tool: String) -> String { (buildDirectory as NSString).appendingPathComponent(tool) }

  /// Runs `tool arguments…` with `stdin`, extra environment, and a time limit; returns what it wrote and its status.
  public static func run(
    _ tool: String, _ arguments: [String] = [], stdin: String = "", environment: [String: String] = [:],
    removingEnvironment: [String] = [], timeout: TimeInterval = 300
  ) throws -> ToolResult {
    let executable = tool.hasPrefix("/") ? tool : path(of: tool)
    return try runProcess(
      executable, arguments, stdin: Data(stdin.utf8), environment: environment,
      removingEnvironment: removingEnvironment, timeout: timeout)
  }

  public static func runProcess(
    _ executable: String, _ arguments: [String], stdin: Data = Data(), environment: [String: String] = [:],
    removingEnvironment: [String] = [], timeout: TimeInterval = 300
  ) throws -> ToolResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for name in removingEnvironment { env.removeValue(forKey: name) }
    env.merge(environment) { _, new in new }
    process.environment = env
    let input = Pipe()
    let output = Pipe()
    let errors = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    _ = brokenPipesAreErrors
    try process.run()
    let stdoutData = DataBox()
    let stderrData = DataBox()
    let group = DispatchGroup()
    DispatchQueue.global().async(group: group) { stdoutData.data = output.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: group) { stderrData.data = errors.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async {
      try? input.fileHandleForWriting.write(contentsOf: stdin)
      try? input.fileHandleForWriting.close()
    }
    if group.wait(timeout: .now() + timeout) == .timedOut {
      process.terminate()
      throw TestFailure("\(executable) \(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s")
    }
    process.waitUntilExit()
    return ToolResult(
      stdout: String(decoding: stdoutData.data, as: UTF8.self),
      stderr: String(decoding: stderrData.data, as: UTF8.self),
      status: process.terminationStatus)
  }
}

/// A failed precondition of a test, with a sentence saying what to do.
public struct TestFailure: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// Bytes filled in by a reader thread; read only after the group it belongs to has finished.
private final class DataBox: @unchecked Sendable {
  var data = Data()
}

/// The HTTP status curl got for `arguments` (`-o FILE URL`, say), as text: "200", "403".
public func curlStatus(_ arguments: [String]) throws -> String {
  try ToolInvocation.runProcess("/usr/bin/curl", ["-s", "-w", "%{http_code}"] + arguments)
    .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}
