import CliplineSystem
import Foundation

/// A program installed in the same directory as the running tool, run for work the tool keeps out of its own
/// process: kvs-clip's FFmpeg steps run in kvs-clip-media, so kvs-clip itself never loads FFmpeg's libraries.
/// Its failure becomes the tool's: its one error sentence (without its `name: error: ` prefix) and its exit code.
public struct CompanionProgram: Sendable {
  public let name: String
  public let path: String

  /// The companion next to this process's executable; a missing one is a broken installation (78).
  public init(named name: String, beside executable: String = CompanionProgram.runningExecutable) throws {
    let path = ((executable as NSString).deletingLastPathComponent as NSString).appendingPathComponent(name)
    guard access(path, X_OK) == 0 else { throw CompanionFailure.missing(name, path: path) }
    self.name = name
    self.path = path
  }

  /// The running executable's path (symbolic links resolved, as the kernel started it).
  public static var runningExecutable: String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
  }

  /// Runs the companion with `arguments` and returns what it printed on stdout. Lines it writes on stderr
  /// other than its error (its warnings, its --verbose lines, FFmpeg's own) go to `relay`, which says them again
  /// in the tool's own format; by default they go to this process's stderr as they are.
  public func run(
    _ arguments: [String], relay: (String) -> Void = { StandardError.write($0 + "\n") }
  ) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    // stderr is drained on its own thread so that neither pipe can fill while the other is read.
    let stderrText = ThreadedRead(errors.fileHandleForReading)
    let stdout = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let diagnostics = stderrText.wait()

    let prefix = "\(name): error: "
    var sentence: String?
    for line in diagnostics.split(separator: "\n", omittingEmptySubsequences: true) {
      if line.hasPrefix(prefix) {
        sentence = String(line.dropFirst(prefix.count))
      } else {
        relay(String(line))
      }
    }
    switch (process.terminationReason, process.terminationStatus) {
    case (.exit, 0):
      return String(decoding: stdout, as: UTF8.self)
    case (.exit, let code):
      throw CompanionFailure(
        description: sentence ?? "\(name) \(arguments.first ?? "") failed with exit status \(code)",
        exitStatus: ExitStatus(rawValue: code) ?? .failure)
    case (_, let signal):
      if ShutdownSignal.shared.isRequested { throw StoppedBySignal("while \(name) was running") }
      throw CompanionFailure(
        description: "\(name) \(arguments.first ?? "") was killed by signal \(signal)", exitStatus: .failure)
    }
  }
}

/// Reads a pipe to its end on a thread of its own (a pool of one), while the caller reads the other pipe.
private final class ThreadedRead: @unchecked Sendable {  // `data` is written by the job before `done` is signalled
  private var data = Data()
  private let done = DispatchSemaphore(value: 0)
  private let reader = ThreadPool(width: 1)

  init(_ handle: FileHandle) {
    reader.submit { [self] in
      data = handle.readDataToEndOfFile()
      done.signal()
    }
  }

  func wait() -> String {
    done.wait()
    return String(decoding: data, as: UTF8.self)
  }
}

/// A companion program that is missing or failed: its own sentence and exit code.
public struct CompanionFailure: Error, CustomStringConvertible, ExitStatusProviding {
  public let description: String
  public let exitStatus: ExitStatus

  public init(description: String, exitStatus: ExitStatus) {
    self.description = description
    self.exitStatus = exitStatus
  }

  static func missing(_ name: String, path: String) -> CompanionFailure {
    CompanionFailure(
      description: "\(name), which this tool runs for part of its work, is not at \(path): "
        + "install clipline's tools together (make install)",
      exitStatus: .configuration)
  }
}
