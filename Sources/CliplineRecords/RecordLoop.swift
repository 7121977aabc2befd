import CliplineSystem

/// Feeds each input record to a handler. A record that fails is reported with its line number, nothing is
/// written for it, and the loop goes on; at the end, `RecordsFailed` carries the first failure's exit code.
public struct RecordLoop {
  public let reader: RecordReader
  public let diagnostics: Diagnostics
  public var stopAtFirstFailure: Bool

  public init(reader: RecordReader = RecordReader(), diagnostics: Diagnostics, stopAtFirstFailure: Bool = false) {
    self.reader = reader
    self.diagnostics = diagnostics
    self.stopAtFirstFailure = stopAtFirstFailure
  }

  /// Returns how many records were handled.
  @discardableResult
  public func run(_ handle: (_ record: Record, _ line: Int) throws -> Void) throws -> Int {
    var total = 0
    var failed = 0
    var firstFailure: ExitStatus?
    for input in reader {
      total += 1
      let record = try? input.record.get()
      do {
        try RecordIDs.whileHandling(record) { try handle(try input.record.get(), input.number) }
      } catch let error as OutputClosed {
        throw error
      } catch let error as RecordNotWritten {
        failed += 1
        diagnostics.report(error, line: input.number, record: record)
        firstFailure = firstFailure ?? ExitStatus.of(error)
        break
      } catch {
        failed += 1
        diagnostics.report(error, line: input.number, record: record)
        firstFailure = firstFailure ?? ExitStatus.of(error)
        if stopAtFirstFailure { break }
      }
    }
    if let readError = reader.readError { throw readError }
    if let firstFailure { throw RecordsFailed(failed: failed, total: total, exitStatus: firstFailure) }
    // stdin reads as ended once SIGTERM came: what the upstream had not sent yet was not handled.
    if ShutdownSignal.shared.isRequested { throw StoppedBySignal.beforeTheInputEnded(handled: total) }
    return total
  }
}
