import ArgumentParser

/// `-h`: one screen (usage, the abstract, the EXAMPLES block of the discussion); `--help` keeps the whole text.
/// ArgumentParser answers both the same way, so MultiCall answers `-h` before it parses.
public enum BriefHelp {
  /// True when the arguments ask for the short help: `-h` before any `--` (what follows `--` is a handler's).
  public static func isAsked(_ arguments: [String]) -> Bool {
    arguments.prefix(while: { $0 != "--" }).contains("-h")
  }

  /// The short help of `command`, ending with where the whole text is.
  public static func text<Command: ParsableCommand>(of command: Command.Type) -> String {
    let name = command.configuration.commandName ?? "\(command)"
    var lines = wrapped("USAGE: " + command.usageString(), indent: 2) + [""]
    lines += wrapped(command.configuration.abstract, indent: 0)
    let examples = examplesBlock(command.configuration.discussion)
    if !examples.isEmpty { lines += [""] + examples }
    lines += ["", "The whole help: \(name) --help, or man \(name)."]
    return lines.joined(separator: "\n")
  }

  /// `text` in lines of at most `columns`, broken between words; lines after the first indented by `indent`.
  static func wrapped(_ text: String, indent: Int, columns: Int = 80) -> [String] {
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ") {
      if !line.isEmpty, line.count + 1 + word.count > columns {
        lines.append(line)
        line = String(repeating: " ", count: indent)
      }
      line += (line.trimmingPrefixSpaces.isEmpty ? "" : " ") + word
    }
    return lines + [line]
  }

  /// The discussion's `EXAMPLES:` line and the lines after it, up to the first empty one.
  public static func examplesBlock(_ discussion: String) -> [String] {
    let lines = discussion.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard let start = lines.firstIndex(where: { $0.trimmingPrefixSpaces == "EXAMPLES:" }) else { return [] }
    return Array(lines[start...].prefix(while: { !$0.trimmingPrefixSpaces.isEmpty }))
  }
}

extension String {
  fileprivate var trimmingPrefixSpaces: Substring { drop(while: { $0 == " " }) }
}
