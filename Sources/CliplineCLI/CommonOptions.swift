import ArgumentParser
import CliplineRecords
import CliplineSystem
import CliplineTelemetry

/// The flags every tool spells the same way.
public struct CommonOptions: ParsableArguments {
  @Flag(name: .shortAndLong, help: CommonHelp.verbose)
  public var verbose = false

  @Flag(name: .shortAndLong, help: CommonHelp.quiet)
  public var quiet = false

  @Option(name: .long, help: CommonHelp.logFormat)
  public var logFormat: Diagnostics.Format?

  public init() {}

  public func validate() throws { try CommonHelp.validate(verbose: verbose, quiet: quiet, format: logFormat) }

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
  public var logFormat: Diagnostics.Format?

  public init() {}

  public func validate() throws { try CommonHelp.validate(verbose: verbose, quiet: quiet, format: logFormat) }

  public func diagnostics(tool: String, traced: Bool = true) -> Diagnostics {
    CommonHelp.diagnostics(tool: tool, verbose: verbose, quiet: quiet, format: logFormat, traced: traced)
  }
}

/// What both spellings of the common flags share: their help and their meaning.
enum CommonHelp {
  static let verbose: ArgumentHelp = "Say more on stderr: every step, with timings."
  static let quiet: ArgumentHelp = "Say only errors on stderr."
  static let logFormat = ArgumentHelp(
    "How stderr lines look: text (tool: message) or json (one object per line). Default: $CLIPLINE_LOG_FORMAT, "
      + "else text.", valueName: "text|json")

  static func validate(verbose: Bool, quiet: Bool, format: Diagnostics.Format?) throws {
    if verbose && quiet { throw ValidationError("--verbose and --quiet contradict each other; pass one of them.") }
    if format == nil, let value = Settings.environment(Diagnostics.formatVariable),
      Diagnostics.Format(rawValue: value) == nil
    {
      throw ValidationError("\(Diagnostics.formatVariable) is \"\(value)\"; set it to text or json, or unset it.")
    }
  }

  /// The flag, else `CLIPLINE_LOG_FORMAT`, else text: one variable sets the format of a whole pipeline.
  /// `traced`: JSON lines carry the run's trace ids when the run is traced (not a consumer's: its lines name each
  /// message's own trace).
  static func diagnostics(
    tool: String, verbose: Bool, quiet: Bool, format: Diagnostics.Format?, traced: Bool = true
  ) -> Diagnostics {
    let chosen = format ?? Settings.environment(Diagnostics.formatVariable).flatMap(Diagnostics.Format.init) ?? .text
    let context = traced && ToolTrace.outgoing != nil ? ToolTrace.place.logFields : [:]
    let diagnostics = Diagnostics(
      tool: tool, format: chosen, minimumLevel: verbose ? .debug : quiet ? .error : .info, context: context)
    for warning in SecretFlags.takeWarnings() { diagnostics.warning(warning) }
    return diagnostics
  }
}
