import ArgumentParser
import CliplineRecords
import CliplineSystem

// The library values that flags are parsed into; the libraries themselves know nothing of ArgumentParser.

extension DurationArgument: ExpressibleByArgument {
  public var defaultValueDescription: String { description }
}

extension Diagnostics.Format: ExpressibleByArgument {}

/// A flag that fails `validate()` is a usage error (64), wherever it is reported.
extension ValidationError: ExitStatusProviding {
  public var exitStatus: ExitStatus { .usage }
}
