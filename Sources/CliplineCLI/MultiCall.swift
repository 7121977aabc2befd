import ArgumentParser
import CliplineSystem
import Foundation

/// An executable that is every tool, as busybox is. Started through a link named after a tool
/// (`kvs-discover -> clipline`) it is that tool; started by its own name it runs the tool its first argument names
/// (`clipline kvs-discover ...`). Each tool keeps its own flags, help, diagnostics and exit codes: the binary only
/// picks the command that parses the rest. (FFmpeg's libraries are loaded by the tools that open media, when they
/// do: see FFmpegLibraries in CliplineMedia.)
public struct MultiCall {
  let commands: [String: any ParsableCommand.Type]
  public let binary: String
  /// What `--version` says after the name and version (the commit, the C libraries).
  let versionDetails: () -> [String]

  public init(
    _ commands: [any ParsableCommand.Type], binary: String, versionDetails: @escaping () -> [String] = { [] }
  ) {
    self.commands = Dictionary(uniqueKeysWithValues: commands.map { ($0.configuration.commandName ?? "\($0)", $0) })
    self.binary = binary
    self.versionDetails = versionDetails
  }

  /// Every tool's name, sorted.
  public var tools: [String] { commands.keys.sorted() }

  /// Runs the tool this process was started as, else the one its first argument names, else `root`: the
  /// binary's own command (--help, --version, --list, and the error for a name that is no tool).
  public func main(root: any ParsableCommand.Type) -> Never {
    var arguments = CommandLine.arguments
    let started = (arguments.removeFirst() as NSString).lastPathComponent
    if let command = commands[started] { runCommand(command, arguments, versionDetails) }
    if let first = arguments.first, let command = commands[first] {
      runCommand(command, Array(arguments.dropFirst()), versionDetails)
    }
    runCommand(root, arguments, versionDetails)
  }

  /// A tool's own executable (`Sources/chunk/main.swift`): the tool's command, whatever the file is called.
  public static func main(
    _ tool: String, in commands: [any ParsableCommand.Type], versionDetails: @escaping () -> [String] = { [] }
  ) -> Never {
    guard let command = MultiCall(commands, binary: tool).commands[tool] else { fatalError("\(tool) is no command") }
    runCommand(command, Array(CommandLine.arguments.dropFirst()), versionDetails)
  }

  /// What the binary's own command does with what it parsed: --list prints every tool, one a line; a name that
  /// is no tool, or none, is a usage error (64).
  public func answer(list: Bool, tool: String?) throws {
    if list {
      print(tools.joined(separator: "\n"))
    } else if let tool {
      throw ValidationError("'\(tool)' is not one of the tools \(binary) runs; \(binary) --list names them.")
    } else {
      throw ValidationError("Name the tool to run (\(binary) TOOL ...), or ask for --list or --help.")
    }
  }
}

/// Runs `command`; -h and --version are answered before ArgumentParser sees them (it would print the whole help
/// and only the version number).
private func runCommand<Command: ParsableCommand>(
  _ command: Command.Type, _ arguments: [String], _ versionDetails: () -> [String]
) -> Never {
  if BriefHelp.isAsked(arguments) {
    print(BriefHelp.text(of: command))
    exit(ExitStatus.success.rawValue)
  }
  let version = command.configuration.version
  if !version.isEmpty, arguments.prefix(while: { $0 != "--" }).contains("--version") {
    print(([version] + versionDetails()).joined(separator: "\n"))
    exit(ExitStatus.success.rawValue)
  }
  command.main(arguments)
  exit(ExitStatus.success.rawValue)
}
