import ArgumentParser
import CliplineRecords

/// The flags every tool spells the same way.
public struct CommonOptions: ParsableArguments {
  @Flag(name: .shortAndLong, help: "Say more on stderr: every step, with timings.")
  public var verbose = false

  @Flag(name: .shortAndLong, help: "Say only errors on stderr.")
  public var quiet = false

  @Option(name: .long, help: "How stderr lines look: text (tool: message) or json (one object per line).")
  public var logFormat: Diagnostics.Format = .text

  public init() {}

  public func validate() throws {
    if verbose && quiet { throw ValidationError("--verbose and --quiet contradict each other; pass one of them.") }
  }

  public func diagnostics(tool: String) -> Diagnostics {
    Diagnostics(tool: tool, format: logFormat, minimumLevel: verbose ? .debug : quiet ? .error : .info)
  }
}
