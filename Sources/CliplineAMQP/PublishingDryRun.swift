import CliplineRecords
import CliplineSystem

extension RecordPublishing {
  /// `--dry-run` (m0-submit `--check`): every record read, checked and made into its message exactly as `run`
  /// does (a bad one is reported with its line and the same exit code), then one stderr line per record naming
  /// where the message would go and how, and the tee's record marked `"dry_run": true`. No connection is opened:
  /// nothing is published.
  @discardableResult
  public func dryRun(reader: RecordReader, tee: RecordWriter?) throws -> Int {
    var total = 0
    var failed = 0
    var firstFailure: ExitStatus?
    for input in reader {
      total += 1
      do {
        let record = try input.record.get()
        try check(record)
        diagnostics.info(Self.wouldPublish(try shape.message(for: record)), line: input.number)
        var marked = confirmation(record)
        marked["dry_run"] = true
        try tee?.write(marked)
      } catch let closed as OutputClosed {
        throw closed
      } catch {
        failed += 1
        firstFailure = firstFailure ?? ExitStatus.of(error)
        diagnostics.report(error, line: input.number, record: try? input.record.get())
      }
    }
    if let readError = reader.readError { throw readError }
    if let firstFailure { throw RecordsFailed(failedRecords: failed, of: total, exitStatus: firstFailure) }
    return total
  }

  /// `dry run: would publish 312 bytes to exchange "" with routing key "M0_PRIORITY_QUEUE" (persistent, ...)`.
  static func wouldPublish(_ message: OutgoingMessage) -> String {
    let properties = message.properties
    var details = [properties.persistent ? "persistent" : "transient"]
    if let type = properties.contentType { details.append(type) }
    if let id = properties.messageID { details.append("message id \(id)") }
    let headers = properties.headerTable.entries.map(\.key)
    if !headers.isEmpty { details.append("headers " + headers.joined(separator: ", ")) }
    return "dry run: would publish \(message.body.count) bytes to exchange \"\(message.exchange)\" with routing key "
      + "\"\(message.routingKey)\" (\(details.joined(separator: "; ")))"
  }
}
