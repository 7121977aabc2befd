import ArgumentParser
import CliplineTestSupport
import CliplineTools
import Foundation
import XCTest

/// `-h` is one screen and `--help` the whole text; every example a tool's help shows fits an 80-column terminal and
/// parses: bash runs each example with every tool a function that only records its arguments (and no PATH, so
/// nothing else runs), and each recorded invocation is parsed, and validated, by the tool's own command.
final class HelpExamplesTests: XCTestCase {
  static let columns = 80
  static let screen = 24

  func testDashHIsOneScreenAndDashDashHelpTheWholeText() throws {
    for tool in try ToolDocsTests.tools() + ["clipline"] {
      let brief = try ToolInvocation.run(tool, ["-h"])
      XCTAssertEqual(brief.status, 0, "\(tool) -h: \(brief.stderr)")
      let lines = brief.stdoutLines
      XCTAssertLessThanOrEqual(lines.count, Self.screen, "\(tool) -h is more than one screen:\n\(brief.stdout)")
      XCTAssertTrue(brief.stdout.hasPrefix("USAGE: "), "\(tool) -h starts with its usage:\n\(brief.stdout)")
      XCTAssertTrue(brief.stdout.contains("EXAMPLES:"), "\(tool) -h shows its examples:\n\(brief.stdout)")
      XCTAssertTrue(brief.stdout.contains("\(tool) --help"), "\(tool) -h says where the whole help is")
      for line in lines where line.count > Self.columns {
        XCTFail("\(tool) -h has a line over \(Self.columns) columns: \(line)")
      }
      let whole = try ToolInvocation.run(tool, ["--help"])
      XCTAssertTrue(whole.stdout.contains("OPTIONS:"), "\(tool) --help is the whole text")
      XCTAssertGreaterThan(whole.stdoutLines.count, lines.count, tool)
    }
  }

  func testEveryExampleFitsEightyColumnsAndParses() throws {
    // The examples run where their files are (requests.jsonl, ./m0-worker.sh, @inference.json) and find the tools
    // on PATH, as amqp-consume's validation of its handler does.
    let scratch = try ScratchDirectory("help-examples")
    let previous = FileManager.default.currentDirectoryPath
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(scratch.path))
    setenv("PATH", (ToolInvocation.path(of: "chunk") as NSString).deletingLastPathComponent + ":" + path, 1)
    defer {
      _ = FileManager.default.changeCurrentDirectoryPath(previous)
      setenv("PATH", path, 1)
    }
    var parsed = 0
    for tool in try ToolDocsTests.tools() + ["clipline"] {
      let help = try ToolInvocation.run(tool, ["--help"]).stdout
      let examples = Self.examples(inHelp: help)
      XCTAssertFalse(examples.isEmpty, "\(tool) --help has examples")
      for line in examples where line.count > Self.columns {
        XCTFail("\(tool) --help: an example line over \(Self.columns) columns: \(line)")
      }
      let invocations = try Self.invocations(of: examples.joined(separator: "\n"), in: scratch)
      XCTAssertTrue(invocations.contains { $0.first == tool }, "\(tool)'s examples run \(tool): \(invocations)")
      for invocation in invocations {
        parsed += try Self.parse(invocation, example: tool, in: scratch)
      }
    }
    XCTAssertGreaterThan(parsed, 40)
  }

  /// `amqp-consume -- TOOL | blob-put ...` acks each message once TOOL ends, before blob-put has stored anything:
  /// a store after the handler is outside it. Examples keep every store inside the handler.
  func testNoExampleStoresOutsideAConsumersHandler() throws {
    let outside = try NSRegularExpression(
      pattern: #"amqp-consume [^'"|]* -- [^'"|]*(\| *[a-z-]+[^|]*)*\| *(blob-put|blob-rm|gql-mutate|amqp-pub)"#)
    for tool in try ToolDocsTests.tools() + ["clipline"] {
      let help = try ToolInvocation.run(tool, ["--help"]).stdout
      let script = Self.examples(inHelp: help).joined(separator: "\n").replacingOccurrences(of: "\\\n", with: " ")
      for line in script.split(separator: "\n").map(String.init)
      where outside.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil {
        XCTFail("\(tool)'s example stores after amqp-consume's handler, so the message is acked first: \(line)")
      }
    }
  }

  /// The files an example names exist where it runs: what it reads (`< FILE`, `@FILE`), empty JSON, and the
  /// scripts it starts (`./NAME`), executable.
  static func createFiles(namedIn script: String, in scratch: ScratchDirectory) throws {
    let names = try NSRegularExpression(pattern: #"(< *|@|\./)([A-Za-z0-9_.-]+)"#)
    for match in names.matches(in: script, range: NSRange(script.startIndex..., in: script)) {
      let kind = String(script[Range(match.range(at: 1), in: script)!])
      let name = String(script[Range(match.range(at: 2), in: script)!])
      let file = scratch.file(name)
      try Data((kind == "./" ? "#!/bin/sh\n" : "{}\n").utf8).write(to: URL(fileURLWithPath: file))
      if kind == "./" { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file) }
    }
  }

  /// The lines of the EXAMPLES section of a `--help` text, without the heading.
  static func examples(inHelp help: String) -> [String] {
    let lines = help.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "EXAMPLES:" }) else {
      return []
    }
    return Array(lines[(start + 1)...].prefix(while: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }))
  }

  /// What the examples would run, one argument list per clipline tool started (its name first), as bash splits
  /// them: continuation lines, quotes, pipes and all.
  static func invocations(of script: String, in scratch: ScratchDirectory) throws -> [[String]] {
    let output = scratch.file("invocations")
    _ = FileManager.default.createFile(atPath: output, contents: nil)
    let names = try ToolDocsTests.tools() + ["clipline"]
    let functions = names.map { "\($0)() { record \($0) \"$@\"; }" }.joined(separator: "\n")
    let harness = """
      record() { printf '%s\\0' "$@" $'\\1' >> "$OUT"; }  # one write: a pipeline's tools run at once
      cd "$WORK"
      command_not_found_handle() { :; }
      ...() { :; }
      \(functions)
      PATH=
      \(script)
      """
    try createFiles(namedIn: script, in: scratch)
    let run = try ToolInvocation.runProcess(
      "/bin/bash", ["-c", harness], environment: ["OUT": output, "WORK": scratch.path, "HOME": scratch.path])
    XCTAssertEqual(run.status, 0, "bash ran the examples:\n\(script)\n\(run.stderr)")
    let recorded = try String(contentsOfFile: output, encoding: .utf8)
    return recorded.components(separatedBy: "\u{1}\0").dropLast().map {
      $0.split(separator: "\0", omittingEmptySubsequences: false).map(String.init).dropLast()
    }
  }

  /// Parses one recorded invocation with its tool's command (a handler after amqp-consume's `--` too); returns
  /// how many invocations it parsed.
  static func parse(_ invocation: [String], example: String, in scratch: ScratchDirectory) throws -> Int {
    guard let name = invocation.first else { return 0 }
    var arguments = Array(invocation.dropFirst())
    if name == "clipline" {
      guard let tool = arguments.first, tool != "--list", tool != "--help" else { return 0 }
      arguments.removeFirst()
      return try parse([tool] + arguments, example: example, in: scratch)
    }
    guard let command = Tools.commands.first(where: { $0.configuration.commandName == name }) else {
      XCTFail("\(example)'s example runs \(name), which is no tool")
      return 0
    }
    do {
      try parsed(command, arguments)
    } catch {
      XCTFail("\(example)'s example `\(invocation.joined(separator: " "))` does not parse: \(error)")
    }
    guard name == "amqp-consume", let dashes = arguments.firstIndex(of: "--") else { return 1 }
    let handler = try handlerInvocations(Array(arguments[(dashes + 1)...]), in: scratch)
    return try 1 + handler.map { try parse($0, example: example, in: scratch) }.reduce(0, +)
  }

  /// A handler's tools: itself when it is one, those of the script of `sh -c SCRIPT`, none for a script.
  static func handlerInvocations(_ handler: [String], in scratch: ScratchDirectory) throws -> [[String]] {
    if ["sh", "bash"].contains(handler.first), handler.count >= 3, handler[1] == "-c" {
      return try invocations(of: handler[2], in: scratch)
    }
    let tools = try ToolDocsTests.tools()
    return handler.first.map { tools.contains($0) } == true ? [handler] : []
  }

  /// Parses and validates (`--help` and `--version` end parsing cleanly).
  static func parsed<Command: ParsableCommand>(_ command: Command.Type, _ arguments: [String]) throws {
    do {
      _ = try command.parseAsRoot(arguments)
    } catch is CleanExit {
      return
    }
  }
}
