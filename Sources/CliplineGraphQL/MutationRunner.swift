import CliplineRecords
import CliplineSystem
import Foundation

/// `gql-mutate`'s work: records in, one operation per record (or per batch of records, or one after the input
/// ends), records out with response values merged in.
///
/// A record whose data is wrong (a missing field, `errors` in the response) is reported with its line, nothing is
/// written for it, and the run goes on. A failure of the service itself (still failing after the retries, bad
/// credentials, unreachable) stops the run: later records would fail the same way.
public final class MutationRunner {
  public struct Options: Sendable {
    /// Operations per request; above 1 they travel as aliases of one document.
    public var batchSize = 1
    /// Run one operation after the input ends instead of one per record.
    public var atEnd = false
    /// Fields for the `--at-end` operation, over those of the last record (all of them when there is no input).
    public var atEndFields: [String: JSONValue] = [:]
    /// Say each operation and its variables, write the record marked `"dry_run": true`, and send nothing.
    public var dryRun = false

    public init(
      batchSize: Int = 1, atEnd: Bool = false, dryRun: Bool = false, atEndFields: [String: JSONValue] = [:]
    ) {
      self.batchSize = max(1, batchSize)
      self.atEnd = atEnd
      self.dryRun = dryRun
      self.atEndFields = atEndFields
    }
  }

  private let choice: OperationChoice
  private let client: GraphQLClient
  private let writer: RecordWriter
  private let diagnostics: Diagnostics
  private let options: Options

  private var pending: [PreparedOperation] = []
  private var total = 0
  private var failed = 0
  private var firstFailure: ExitStatus?
  /// The failure that stopped the run (or OutputClosed).
  private var stop: Error?

  public init(
    choice: OperationChoice, client: GraphQLClient, writer: RecordWriter, diagnostics: Diagnostics,
    options: Options = Options()
  ) throws {
    if options.batchSize > 1 {
      for template in choice.templates {
        let operation = template.operation
        if operation.fragmentsUseVariables || operation.hasRootFragments {
          throw BindingSyntaxError(
            "--batch: operation \(operation.label) uses fragments at its root or variables inside fragments, "
              + "which cannot be renamed per record; send it without --batch")
        }
      }
    }
    self.choice = choice
    self.client = client
    self.writer = writer
    self.diagnostics = diagnostics
    self.options = options
  }

  /// Runs over every record; throws `RecordsFailed` (each failure already reported) or the failure that stopped it.
  public func run(_ reader: RecordReader, input: IdleAwareInput? = nil) throws {
    if options.atEnd {
      try runAtEnd(reader)
      return
    }
    input?.onIdle = { [unowned self] in flush() }
    defer { input?.onIdle = {} }
    for line in reader {
      if stop != nil { break }
      if ShutdownSignal.shared.isRequested {
        stop = StoppedBySignal()
        diagnostics.report(StoppedBySignal(), line: line.number)
        break
      }
      total += 1
      do {
        let record = try line.record.get()
        pending.append(try choice.template(for: record).prepare(record, line: line.number))
      } catch {
        fail(error, line: line.number, record: try? line.record.get())
        continue
      }
      if pending.count >= options.batchSize { flush() }
    }
    flush()
    if let stop { throw stop is OutputClosed ? stop : failures(stoppedBy: stop) }
    if let readError = reader.readError { throw readError }
    if let firstFailure { throw RecordsFailed(failed: failed, total: total, exitStatus: firstFailure) }
    if ShutdownSignal.shared.isRequested { throw StoppedBySignal.beforeTheInputEnded(handled: total) }
  }

  private func failures(stoppedBy error: Error) -> Error {
    RecordsFailed(failed: failed, total: total, exitStatus: ExitStatus.of(error))
  }

  private func fail(_ error: Error, line: Int?, record: Record? = nil) {
    failed += 1
    firstFailure = firstFailure ?? ExitStatus.of(error)
    diagnostics.report(error, line: line, record: record)
  }

  /// Sends what is pending as one request and writes each record on, with its response values.
  private func flush() {
    guard !pending.isEmpty, stop == nil else { return }
    let items = pending
    pending = []
    if options.dryRun { return pretend(items) }
    let request = BatchedRequest(items)
    let results: [Result<JSONValue, Error>]
    let began = Date()
    do {
      let started = DispatchTime.now().uptimeNanoseconds
      // A request for one record: what is said meanwhile (a retry) names that record's ids.
      let response = try RecordIDs.whileHandling(items.count == 1 ? items[0].record : nil) {
        try client.execute(
          document: request.document, variables: request.variables, operationName: request.operationName,
          label: request.label)
      }
      if diagnostics.isEnabled(.debug) {
        let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        diagnostics.debug(
          "\(request.label) answered in \(String(format: "%.1f", milliseconds)) ms",
          line: items.count == 1 ? items[0].line : nil)
      }
      results = request.split(response)
    } catch let error as GraphQLResponseError where items.count > 1 {
      // The server refused the request as a whole (e.g. 400): every record in it carries the same errors.
      results = items.map {
        .failure(GraphQLResponseError(operation: $0.template.operation.label, errors: error.errors))
      }
    } catch {
      // SIGTERM/SIGINT abandon the transfer in flight: say so rather than libcurl's "aborted by callback".
      let error: Error = ShutdownSignal.shared.isRequested ? StoppedBySignal() : error
      if ExitStatus.of(error) == .dataError {
        results = items.map { _ in .failure(error) }
      } else {
        GraphQLMetrics.failed(items, since: began)
        failed += items.count
        let lines = items.compactMap(\.line)
        let span = lines.count > 1 ? " (the request for lines \(lines.first!)–\(lines.last!))" : ""
        diagnostics.report(StoppedRun(underlying: error, context: span), line: lines.count == 1 ? lines[0] : nil)
        stop = error
        return
      }
    }
    GraphQLMetrics.requested(items, outcomes: results, since: began)
    for (item, result) in zip(items, results) {
      do {
        try writer.write(try item.merged(with: result.get()))
      } catch let closed as OutputClosed {
        stop = closed
        return
      } catch {
        fail(error, line: item.line, record: item.record)
      }
    }
  }

  /// A dry run's flush: one line per operation on stderr, naming it and its variables; `written` go to stdout
  /// marked as not sent.
  private func pretend(_ written: [PreparedOperation], saying said: [PreparedOperation]? = nil) {
    for item in said ?? written {
      diagnostics.info(
        "dry run: would send \(item.template.operation.label) with variables "
          + JSONSerializer.string(.object(item.variables)), line: item.line)
    }
    for item in written {
      var record = item.record
      record["dry_run"] = true
      do {
        try writer.write(record)
      } catch {
        stop = error
        return
      }
    }
  }

  private func runAtEnd(_ reader: RecordReader) throws {
    var last: Record?
    for line in reader {
      total += 1
      switch line.record {
      case .success(let record):
        try writer.write(record)
        last = record
      case .failure(let error):
        fail(error, line: line.number)
      }
    }
    if let readError = reader.readError { throw readError }
    // stdin reads as ended once a signal came: the input did not end, so its end must not be reported.
    if ShutdownSignal.shared.isRequested {
      throw StoppedBySignal("before the input ended (\(total) records passed); the --at-end operation was not sent")
    }
    if let firstFailure {
      diagnostics.error("the --at-end operation was not sent: \(failed) input line(s) were not records")
      throw RecordsFailed(failed: failed, total: total, exitStatus: firstFailure)
    }
    var record = last ?? Record()
    record.fields.merge(options.atEndFields) { _, flag in flag }
    let item: PreparedOperation
    do {
      item = try choice.template(for: record).prepare(record, line: nil)
    } catch let error where last == nil {
      throw AtEndWithoutInput(underlying: error)
    }
    if options.dryRun { return pretend(last == nil ? [item] : [], saying: [item]) }
    let request = BatchedRequest([item])
    let began = Date()
    let response: [String: JSONValue]
    do {
      response = try client.execute(
        document: request.document, variables: request.variables, operationName: request.operationName,
        label: request.label)
    } catch {
      GraphQLMetrics.failed([item], since: began)
      throw error
    }
    let outcome = request.split(response)[0]
    GraphQLMetrics.requested([item], outcomes: [outcome], since: began)
    let merged = try item.merged(with: outcome.get())
    // With input, every record has passed already; with none, the record made from flags is the output.
    if last == nil { try writer.write(merged) }
  }
}

/// A service failure that ended the run, with the lines whose request it was.
struct StoppedRun: Error, CustomStringConvertible, ExitStatusProviding {
  let underlying: Error
  let context: String
  var description: String {
    describe(underlying) + context
      + (underlying is StoppedBySignal ? "" : "; stopping: later records would fail the same way")
  }
  var exitStatus: ExitStatus { ExitStatus.of(underlying) }
}

/// `--at-end` with no input record lacks a field the operation needs: say where such fields come from.
struct AtEndWithoutInput: Error, CustomStringConvertible, ExitStatusProviding {
  let underlying: Error
  var description: String {
    describe(underlying) + " (there was no input record: give the fields with --field name=value or name:=JSON)"
  }
  var exitStatus: ExitStatus { ExitStatus.of(underlying) }
}
