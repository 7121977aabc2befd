import CliplineRecords
import CliplineSystem
import CliplineTelemetry
import Foundation

/// How a record becomes a message: its JSON as the body (persistent, application/json, a message id and a
/// timestamp), the exchange and routing key filled from the record, headers from flags and record fields.
public struct MessageShape: Sendable {
  public var exchange: RecordTemplate?
  public var routingKey: RecordTemplate
  /// `name=template` pairs (`--header camera={camera_id}`): always strings.
  public var headerTemplates: [(name: String, template: RecordTemplate)]
  /// Record fields copied as headers with their JSON type (`--header-field process_id`).
  public var headerFields: [String]
  /// A record field to use as the message id (deterministic ids let consumers drop duplicates); else a UUID.
  public var messageIDField: String?
  public var contentType: String
  public var contentEncoding: String?
  public var replyTo: String?
  /// The publisher's span: every message carries it as `traceparent` (and `tracestate`), unless a `--header`
  /// already set one, or the record carries its own trace (a `traceparent` field: kvs-discover's tasks and
  /// kvs-follow's windows, each the root of a trace), so whoever consumes it continues the same trace.
  public var trace: TraceContext?

  public init(
    exchange: RecordTemplate? = nil, routingKey: RecordTemplate, headerTemplates: [(String, RecordTemplate)] = [],
    headerFields: [String] = [], messageIDField: String? = nil, contentType: String = "application/json",
    contentEncoding: String? = nil, replyTo: String? = nil
  ) {
    self.contentType = contentType
    self.contentEncoding = contentEncoding
    self.replyTo = replyTo
    self.exchange = exchange
    self.routingKey = routingKey
    self.headerTemplates = headerTemplates.map { (name: $0.0, template: $0.1) }
    self.headerFields = headerFields
    self.messageIDField = messageIDField
  }

  /// `trace`, when given, is the record's own span: the message carries it whatever else would.
  public func message(for record: Record, now: Date = Date(), trace own: TraceContext? = nil) throws
    -> OutgoingMessage
  {
    var properties = MessageProperties()
    properties.contentType = contentType
    properties.contentEncoding = contentEncoding
    properties.replyTo = replyTo
    properties.persistent = true
    properties.timestamp = now
    if let field = messageIDField {
      guard let value = record.value(at: field), value != .null else { throw InputError.missingField(field) }
      properties.messageID = value.textValue
    } else {
      properties.messageID = UUID().uuidString.lowercased()
    }
    for (name, template) in headerTemplates { properties.headerTable.set(name, .string(try template.render(record))) }
    for field in headerFields {
      guard let value = record.value(at: field) else { throw InputError.missingField(field) }
      properties.headerTable[field] = HeaderNumber.field(value)
    }
    let carried = record["traceparent"]?.stringValue.flatMap { TraceContext(traceparent: $0) }
    if let trace = own ?? carried ?? trace, own != nil || properties.headerTable["traceparent"] == nil {
      properties.headerTable.set("traceparent", .string(trace.traceparent))
      if let state = trace.traceState { properties.headerTable.set("tracestate", .string(state)) }
    }
    let routingKey = try Self.shortString(routingKey.render(record), "routing key")
    let exchange = try Self.shortString(exchange?.render(record) ?? "", "exchange name")
    if let id = properties.messageID { _ = try Self.shortString(id, "message id") }
    var body = record.jsonLine
    body.removeLast()  // the newline belongs to the file format, not the message
    return OutgoingMessage(
      exchange: exchange, routingKey: routingKey, mandatory: true, properties: properties,
      body: body)
  }
}

extension MessageShape {
  /// AMQP short strings (names, keys, ids) hold at most 255 bytes; a longer one makes the broker close the
  /// connection, so a record that would make one is refused instead (65).
  static func shortString(_ value: String, _ what: String) throws -> String {
    guard value.utf8.count > 255 else { return value }
    throw TooLongForAMQP(what: what, value: value)
  }
}

/// A routing key, exchange name or message id made from a record that AMQP cannot carry (over 255 bytes).
public struct TooLongForAMQP: Error, CustomStringConvertible, ExitStatusProviding {
  public let what: String
  public let value: String

  public var description: String {
    "the \(what) made from this record is \(value.utf8.count) bytes long, and AMQP allows at most 255: "
      + quoted(value, limit: 60)
  }
  public var exitStatus: ExitStatus { .dataError }
}

/// One record on its way: the line it came from, the record itself (for `--tee` once confirmed), and when it was
/// sent (its confirm ends a step of the publish stage).
public struct PublishedRecord {
  public let line: Int
  public let record: Record
  public var sent = Date()
  /// The record's own trace (`RecordPublishing.spanPerRecord`), its span ended by the broker's answer.
  public var trace: RecordTrace?
}

/// `amqp-pub`'s work: every input record published and confirmed. Records that fail (bad JSON, a missing
/// field, unroutable, nacked) are reported with their line and the rest go on; the exit code is the first failure's.
public struct RecordPublishing {
  public let shape: MessageShape
  public let diagnostics: Diagnostics
  /// Checks a record before it is published; an `InputError` is reported with its line and nothing is sent for it.
  public var check: (Record) throws -> Void
  /// What the tee writes for each confirmed record (the record itself, or an answer made from it).
  public var confirmation: (Record) -> Record
  /// With tracing on, each record starts a trace of its own (a child of the record's `traceparent` field, if it
  /// has one): a span of this name from reading it to the broker's confirm, whose context the message carries
  /// (m0-submit: one trace per request, as POST /api/v1/process_video would start).
  public var spanPerRecord: String?

  public init(
    shape: MessageShape, diagnostics: Diagnostics, check: @escaping (Record) throws -> Void = { _ in },
    confirmation: @escaping (Record) -> Record = { $0 }
  ) {
    self.shape = shape
    self.diagnostics = diagnostics
    self.check = check
    self.confirmation = confirmation
  }

  @discardableResult
  public func run(reader: RecordReader, publisher: ConfirmingPublisher<PublishedRecord>, tee: RecordWriter?) throws
    -> Int
  {
    var total = 0
    var failed = 0
    var firstFailure: ExitStatus?
    func fail(_ error: Error, line: Int, record: Record? = nil) {
      failed += 1
      diagnostics.report(error, line: line, record: record)
      firstFailure = firstFailure ?? ExitStatus.of(error)
    }
    publisher.onConfirmed = { [confirmation, spanPerRecord] published in
      ToolMetrics.stage(.publish, since: published.sent)
      if let spanPerRecord { published.trace?.finish(spanPerRecord, record: published.record) }
      try tee?.write(confirmation(published.record))
    }
    publisher.onFailed = { [spanPerRecord] published, failure in
      if let spanPerRecord {
        published.trace?.finish(spanPerRecord, record: published.record, failure: describe(failure))
      }
      fail(failure, line: published.line, record: published.record)
    }
    defer { publisher.close() }
    for input in reader {
      total += 1
      // Whatever fails before the message exists is this record's fault; a failed publish is the broker's.
      let record: Record
      let message: OutgoingMessage
      var trace: RecordTrace?
      do {
        record = try input.record.get()
        try check(record)
        if spanPerRecord != nil {
          trace = RecordTrace.begin(
            continuing: record["traceparent"]?.stringValue.flatMap { TraceContext(traceparent: $0) })
        }
        message = try shape.message(for: record, trace: trace?.place.context)
      } catch {
        fail(error, line: input.number, record: try? input.record.get())
        continue
      }
      try publisher.publish(message, context: PublishedRecord(line: input.number, record: record, trace: trace))
    }
    if let readError = reader.readError { throw readError }
    try publisher.finish()
    diagnostics.debug("\(publisher.confirmedCount) messages confirmed")
    if ShutdownSignal.shared.isRequested {
      throw StoppedBySignal(
        "before the input ended; the \(publisher.confirmedCount) messages read before it were confirmed")
    }
    if let firstFailure { throw RecordsFailed(failedRecords: failed, of: total, exitStatus: firstFailure) }
    return total
  }
}
