import ArgumentParser
import CliplineRecords
import CliplineSystem

// The library values that flags are parsed into; the libraries themselves know nothing of ArgumentParser.

extension DurationArgument: ExpressibleByArgument {
  public var defaultValueDescription: String { description }

  /// The usage error (64) for a duration outside what the flag can mean: `--timeout 0s`, `--ttl 1000000d`.
  public func check(_ flag: String, within bounds: ClosedRange<Double>) throws {
    guard bounds.contains(seconds) else {
      throw ValidationError(
        "\(flag) must be between \(Self.format(bounds.lowerBound)) and \(Self.format(bounds.upperBound)).")
    }
  }
}

/// A whole-number flag outside its bounds is a usage error that names the flag and the range.
public func check(_ value: Int, _ flag: String, within bounds: ClosedRange<Int>) throws {
  guard bounds.contains(value) else {
    throw ValidationError("\(flag) must be between \(bounds.lowerBound) and \(bounds.upperBound).")
  }
}

extension Diagnostics.Format: ExpressibleByArgument {}

/// A flag that fails `validate()` is a usage error (64), wherever it is reported.
extension ValidationError: ExitStatusProviding {
  public var exitStatus: ExitStatus { .usage }
}
