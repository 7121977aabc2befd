import ArgumentParser
import CliplineCLI
import CliplineSystem
import CliplineTools

/// `clipline` by its own name: which tool to run, --list, --version.
struct Clipline: ParsableCommand {
  static var multiCall: MultiCall {
    MultiCall(Tools.commands, binary: "clipline", versionDetails: Tools.versionDetails)
  }

  static let configuration = CommandConfiguration(
    commandName: "clipline",
    abstract: "Every clipline tool in one binary: run one as 'clipline TOOL ...', or through a link named after it.",
    discussion: """
      Started through a link named after a tool (make install makes one per tool beside it: kvs-discover -> \
      clipline), clipline is that tool; started as clipline, it runs the tool its first argument names, with the \
      rest as that tool's arguments. Each tool keeps its own flags, --help, man page, diagnostics and exit codes. \
      FFmpeg's libraries are loaded only by the tools that open media (chunk, contact-sheet, m0-submit, \
      kvs-clip-media), when they do; a machine without them runs the other tools.

      TOOLS: \(multiCall.tools.joined(separator: ", ")).

      EXAMPLES:
        clipline kvs-discover --prefix Front
        clipline chunk --help
        clipline --list

      \(ExitStatus.documentation) 64: the first argument is no tool. Otherwise the tool's own exit code.
      """,
    version: "clipline " + cliplineVersion)

  @Flag(name: .long, help: "Print every tool, one a line.")
  var list = false

  @Argument(help: "The tool to run.", completion: .list(multiCall.tools))
  var tool: String?

  @Argument(parsing: .captureForPassthrough, help: "The tool's own arguments.")
  var arguments: [String] = []

  func run() throws { try Self.multiCall.answer(list: list, tool: tool) }
}

Clipline.multiCall.main(root: Clipline.self)
