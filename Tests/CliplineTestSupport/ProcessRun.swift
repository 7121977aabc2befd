import Foundation

/// A program run in the background whose stdin the test holds open (silent) until it ends, for checks of how it
/// ends: by which exit code or signal, and what it said on stderr. Used for signals and resource limits.
public final class ProcessRun: @unchecked Sendable {  // `output` and `errors` are written once, before `done`
  public enum Input {
    case heldOpen, nullDevice
    /// Read from this file (no shell redirection: under `ulimit -n 4`, dash cannot move a descriptor to 10).
    case file(String)
  }

  public struct Ended {
    public let reason: Process.TerminationReason
    /// The exit code, or the signal's number when `reason` is `.uncaughtSignal`.
    public let status: Int32
    public let stdout: String
    public let stderr: String
  }

  /// A Python preamble that blocks the signals named in `argv[1]` (comma-separated, without SIG), sends them to
  /// itself, and execs `argv[2...]`: the program starts with them pending and blocked, as a careless supervisor
  /// might start it. A tool that never unblocks them never hears a SIGTERM.
  public static let pendingSignals = """
    import os, signal, sys
    wanted = [getattr(signal, "SIG" + name) for name in sys.argv[1].split(",") if name]
    signal.pthread_sigmask(signal.SIG_BLOCK, wanted)
    for number in wanted: os.kill(os.getpid(), number)
    os.execv(sys.argv[2], sys.argv[2:])
    """

  public let process = Process()
  private let input = Pipe()
  private let outputPipe = Pipe()
  private let errorPipe = Pipe()
  private var output = Data()
  private var errors = Data()
  private let done = DispatchGroup()

  public static func start(
    _ executable: String, _ arguments: [String], stdin: Input = .heldOpen, environment: [String: String] = [:]
  ) throws -> ProcessRun {
    try ProcessRun(executable, arguments, stdin: stdin, environment: environment)
  }

  private init(_ executable: String, _ arguments: [String], stdin: Input, environment: [String: String]) throws {
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    switch stdin {
    case .heldOpen: process.standardInput = input
    case .nullDevice: process.standardInput = FileHandle.nullDevice
    case .file(let path): process.standardInput = FileHandle(forReadingAtPath: path)
    }
    process.standardOutput = outputPipe
    process.standardError = errorPipe
    _ = ToolInvocation.brokenPipesAreErrors
    try process.run()
    DispatchQueue.global().async(group: done) { [self] in
      output = outputPipe.fileHandleForReading.readDataToEndOfFile()
    }
    DispatchQueue.global().async(group: done) { [self] in
      errors = errorPipe.fileHandleForReading.readDataToEndOfFile()
    }
  }

  deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

  public var pid: Int32 { process.processIdentifier }

  /// Writes to the held stdin (which stays open).
  public func write(_ text: String) throws { try input.fileHandleForWriting.write(contentsOf: Data(text.utf8)) }
  public var isRunning: Bool { process.isRunning }

  /// Closes the held stdin: the program's input ends.
  public func closeInput() throws { try input.fileHandleForWriting.close() }

  /// Waits for the end; a program still running after `seconds` is killed and the test fails.
  public func finish(within seconds: Double) throws -> Ended {
    if done.wait(timeout: .now() + seconds) == .timedOut {
      kill(process.processIdentifier, SIGKILL)
      _ = done.wait(timeout: .now() + 10)
      throw TestFailure(
        "\(process.executableURL?.lastPathComponent ?? "") \(process.arguments?.joined(separator: " ") ?? "") "
          + "was still running \(Int(seconds)) s on: \(String(decoding: errors, as: UTF8.self))")
    }
    process.waitUntilExit()
    try? input.fileHandleForWriting.close()
    return Ended(
      reason: process.terminationReason, status: process.terminationStatus,
      stdout: String(decoding: output, as: UTF8.self), stderr: String(decoding: errors, as: UTF8.self))
  }

  /// Waits until the program catches every signal of `hear` and ignores (or catches) every one of `ignore`, as
  /// /proc/PID/status shows: from then on a signal sent to it is handled, not fatal.
  public func waitUntilHandling(hear: [Int32], ignore: [Int32], tool: String, timeout: Double = 30) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      if let masks = Self.signalMasks(of: pid),
        hear.allSatisfy({ masks.caught & Self.bit($0) != 0 }),
        ignore.allSatisfy({ (masks.caught | masks.ignored) & Self.bit($0) != 0 })
      {
        return
      }
      guard process.isRunning else { throw TestFailure("\(tool) ended before it handled its signals") }
      usleep(20_000)
    }
    throw TestFailure("\(tool) never caught SIGHUP and ignored SIGUSR1, SIGUSR2 and SIGALRM")
  }

  private static func bit(_ signal: Int32) -> UInt64 { 1 << UInt64(signal - 1) }

  /// SigCgt and SigIgn of a process, as bit sets (bit n-1 for signal n).
  public static func signalMasks(of pid: Int32) -> (caught: UInt64, ignored: UInt64)? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    func mask(_ name: String) -> UInt64? {
      status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
        .flatMap { UInt64($0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces), radix: 16) }
    }
    guard let caught = mask("SigCgt"), let ignored = mask("SigIgn") else { return nil }
    return (caught, ignored)
  }
}
