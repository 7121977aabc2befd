import CliplineSystem

/// Bad input data (exit 65): a line that is not a JSON object, or a record whose field is missing or wrong.
public enum InputError: ExitStatusProviding, Equatable, CustomStringConvertible, Sendable {
  case notAnObject(reason: String)
  case missingField(String)
  case invalidField(String, reason: String)
  case lineTooLong(maximum: Int)

  public var exitStatus: ExitStatus { .dataError }

  public var description: String {
    switch self {
    case .notAnObject(let reason): return "not a JSON object: \(reason)"
    case .missingField(let field): return "field \(quoted(field)) is missing"
    case .invalidField(let field, let reason): return "field \(quoted(field)) \(reason)"
    case .lineTooLong(let maximum):
      return "the line is longer than the maximum of \(maximum) bytes; it was skipped"
    }
  }
}

/// A failure tied to the input line that caused it; the diagnostic names the line.
public struct LineFailure: Error, CustomStringConvertible {
  public let line: Int
  public let underlying: Error

  public init(line: Int, underlying: Error) {
    self.line = line
    self.underlying = underlying
  }

  public var description: String { describe(underlying) }
}

extension LineFailure: ExitStatusProviding {
  public var exitStatus: ExitStatus { ExitStatus.of(underlying) }
}

/// Raised at the end of a run in which some records failed; each failure was already reported.
public struct RecordsFailed: ExitStatusProviding, CustomStringConvertible {
  public let failed: Int
  public let total: Int
  public let exitStatus: ExitStatus

  public init(failed: Int, total: Int, exitStatus: ExitStatus) {
    self.failed = failed
    self.total = total
    self.exitStatus = exitStatus
  }

  public var description: String { "\(failed) of \(total) records failed" }
}
