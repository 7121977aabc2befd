import ArgumentParser
import CliplineRecords

/// The flags every tool spells the same way.
public struct CommonOptions: ParsableArguments {
  @Flag(name: .shortAndLong, help: CommonHelp.verbose)
  public var verbose = false

  @Flag(name: .shortAndLong, help: CommonHelp.quiet)
  public var quiet = false

  @Option(name: .long, help: CommonHelp.logFormat)
  public var logFormat: Diagnostics.Format = .text

  public init() {}

  public func validate() throws { try CommonHelp.validate(verbose: verbose, quiet: quiet) }

  public func diagnostics(tool: String) -> Diagnostics {
    CommonHelp.diagnostics(tool: tool, verbose: verbose, quiet: quiet, format: logFormat)
  }
}

/// The same flags for tools where `-q` belongs to someone else: amqp-tools spells `--queue` as `-q`, so the AMQP
/// tools keep `--quiet` long only.
public struct CommonOptionsWithoutDashQ: ParsableArguments {
  @Flag(name: .shortAndLong, help: CommonHelp.verbose)
  public var verbose = false

  @Flag(name: .long, help: CommonHelp.quiet)
  public var quiet = false

  @Option(name: .long, help: CommonHelp.logFormat)
  public var logFormat: Diagnostics.Format = .text

  public init() {}

  public func validate() throws { try CommonHelp.validate(verbose: verbose, quiet: quiet) }

  public func diagnostics(tool: String) -> Diagnostics {
    CommonHelp.diagnostics(tool: tool, verbose: verbose, quiet: quiet, format: logFormat)
  }
}

/// What both spellings of the common flags share: their help and their meaning.
enum CommonHelp {
  static let verbose: ArgumentHelp = "Say more on stderr: every step, with timings."
  static let quiet: ArgumentHelp = "Say only errors on stderr."
  static let logFormat: ArgumentHelp = "How stderr lines look: text (tool: message) or json (one object per line)."

  static func validate(verbose: Bool, quiet: Bool) throws {
    if verbose && quiet { throw ValidationError("--verbose and --quiet contradict each other; pass one of them.") }
  }

  static func diagnostics(tool: String, verbose: Bool, quiet: Bool, format: Diagnostics.Format) -> Diagnostics {
    Diagnostics(tool: tool, format: format, minimumLevel: verbose ? .debug : quiet ? .error : .info)
  }
}
