import CliplineRecords
import Foundation

/// A trace started for one record a tool hands on (a kvs-discover task, a kvs-follow window): its span is the
/// trace's root, and the record carries its context as a `traceparent` field, which amqp-pub writes into the
/// message's header, so the worker that takes the message continues that trace. Only while spans are recorded:
/// with tracing off, records stay as they were.
public struct RecordTrace: Sendable {
  public let place: SpanPlace
  public let start: Date

  /// A new trace from now (or a child of `parent`, a trace the record came with); nil when no spans are recorded.
  public static func begin(at start: Date = Date(), continuing parent: TraceContext? = nil) -> RecordTrace? {
    Tracing.shared.isRecording ? RecordTrace(place: SpanPlace(continuing: parent), start: start) : nil
  }

  /// `record` with this trace's `traceparent`.
  public func stamped(_ record: Record) -> Record {
    var stamped = record
    stamped["traceparent"] = .string(place.context.traceparent)
    return stamped
  }

  /// Records the span, named `name`, until now, with the record's ids (`clipline.camera_id`, …) as attributes.
  public func finish(
    _ name: String, record: Record, attributes extra: [String: JSONValue] = [:], failure: String? = nil
  ) {
    var attributes = extra
    for field in ["camera_id", "stream_name", "process_id", "start_time", "end_time"] {
      if let value = record[field] { attributes["clipline.\(field)"] = value }
    }
    Tracing.shared.record(
      SpanRecord(place: place, name: name, kind: .producer, start: start, attributes: attributes, failure: failure))
  }
}
