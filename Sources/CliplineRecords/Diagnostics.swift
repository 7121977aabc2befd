import CliplineSystem
import Foundation

/// Everything a tool says on stderr: `tool: error (line 12): field "end_time" is missing`,
/// or one JSON object per line with `--log-format json`. stdout never sees any of it.
///
/// Every stored property is a Sendable `let`; `lock` only keeps lines from several threads whole and in order.
public final class Diagnostics: Sendable {
  public enum Level: Int, Comparable, Sendable {
    case debug, info, warning, error

    public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

    /// As it appears in a line: `tool: warning: …`, `"level":"warning"`.
    public var name: String {
      switch self {
      case .debug: return "debug"
      case .info: return "info"
      case .warning: return "warning"
      case .error: return "error"
      }
    }
  }

  public enum Format: String, CaseIterable, Sendable {
    case text, json
  }

  /// The environment variable that sets the format for every tool (a `--log-format` flag still wins).
  public static let formatVariable = "CLIPLINE_LOG_FORMAT"

  public let tool: String
  public let format: Format
  public let minimumLevel: Level
  /// Fields every JSON line carries unless it sets them itself: the run's `trace_id` and `span_id`. A line said
  /// while a record is handled carries its ids too (`RecordIDs.handled`).
  public let context: [String: JSONValue]
  private let write: @Sendable (String) -> Void
  private let lock = NSLock()

  public init(
    tool: String, format: Format = .text, minimumLevel: Level = .info, context: [String: JSONValue] = [:],
    write: @escaping @Sendable (String) -> Void = Diagnostics.writeToStandardError
  ) {
    self.tool = tool
    self.format = format
    self.minimumLevel = minimumLevel
    self.context = context
    self.write = write
  }

  public func error(_ message: String, line: Int? = nil, fields: [String: JSONValue] = [:]) {
    log(.error, message, line: line, fields: fields)
  }

  public func warning(_ message: String, line: Int? = nil, fields: [String: JSONValue] = [:]) {
    log(.warning, message, line: line, fields: fields)
  }

  public func info(_ message: String, line: Int? = nil, fields: [String: JSONValue] = [:]) {
    log(.info, message, line: line, fields: fields)
  }

  public func debug(_ message: String, line: Int? = nil, fields: [String: JSONValue] = [:]) {
    log(.debug, message, line: line, fields: fields)
  }

  /// Reports a failure with the line it belongs to, if any, and the ids of its record (`RecordIDs`: JSON lines only).
  public func report(_ failure: Error, line: Int? = nil, record: Record? = nil) {
    if let lineFailure = failure as? LineFailure {
      report(lineFailure.underlying, line: lineFailure.line, record: record)
      return
    }
    var fields = RecordIDs.fields(of: record)
    fields["exit_code"] = .integer(Int64(ExitStatus.of(failure).rawValue))
    error(describe(failure), line: line, fields: fields)
  }

  public func isEnabled(_ level: Level) -> Bool { level >= minimumLevel }

  public func log(_ level: Level, _ message: String, line: Int? = nil, fields: [String: JSONValue] = [:]) {
    guard level >= minimumLevel else { return }
    let text = self.line(level, message, line: line, fields: fields)
    lock.withLock { write(text) }
  }

  /// The stderr line `log` would write, whatever the level (a line prepared now, written later). Credentials in the
  /// message are masked (`SecretRedaction.text`), and a control character is named, never written
  /// (`namingInvisibles`): one diagnostic is one line.
  public func line(_ level: Level, _ message: String, line: Int? = nil, fields: [String: JSONValue] = [:]) -> String {
    let message = namingInvisibles(SecretRedaction.text(message))
    switch format {
    case .text:
      let location = line.map { " (line \($0))" } ?? ""
      let prefix = level == .info ? "" : "\(level.name)\(location): "
      let suffix = level == .info && line != nil ? " (line \(line!))" : ""
      return "\(tool): \(prefix)\(message)\(suffix)\n"
    case .json:
      var object = fields.merging(RecordIDs.handled) { own, _ in own }.merging(context) { own, _ in own }
      object["tool"] = .string(tool)
      object["level"] = .string(level.name)
      object["message"] = .string(message)
      object["time"] = .string(RFC3339.format(Date(), fractionalDigits: 3))
      if let line { object["line"] = .integer(Int64(line)) }
      return JSONSerializer.string(.object(object)) + "\n"
    }
  }

  /// A whole line made elsewhere (a handler's stderr, relayed), written under the same lock as ours so that the
  /// two never interleave.
  public func emit(_ line: String) { lock.withLock { write(line) } }

  @Sendable public static func writeToStandardError(_ text: String) { StandardError.write(text) }

  /// Diagnostics that keep every line, for tests.
  public static func capturing(tool: String, minimumLevel: Level = .debug) -> (Diagnostics, CapturedLines) {
    let captured = CapturedLines()
    return (Diagnostics(tool: tool, minimumLevel: minimumLevel, write: { captured.append($0) }), captured)
  }
}

/// Lines a `Diagnostics` wrote, from any thread.
public final class CapturedLines: @unchecked Sendable {  // `lock` guards `stored`
  public init() {}

  private let lock = NSLock()
  private var stored: [String] = []

  public func append(_ text: String) { lock.withLock { stored.append(text) } }

  public var text: String { lock.withLock { stored.joined() } }
}
