import CliplineRecords
import Foundation

/// A finished span, as OpenTelemetry models it: where it sits in its trace, its name and kind, when it ran, its
/// attributes (the semantic conventions' names) and whether it failed.
public struct SpanRecord: Sendable, Equatable {
  public enum Kind: Int, Sendable {
    case `internal` = 1
    case server, client, producer, consumer
  }

  public let place: SpanPlace
  public let name: String
  public let kind: Kind
  public let start: Date
  public var end: Date
  public var attributes: [String: JSONValue]
  /// nil: ended well (status unset); else the error's text (status ERROR).
  public var failure: String?

  public init(
    place: SpanPlace, name: String, kind: Kind, start: Date, end: Date = Date(), attributes: [String: JSONValue] = [:],
    failure: String? = nil
  ) {
    self.place = place
    self.name = name
    self.kind = kind
    self.start = start
    self.end = end
    self.attributes = attributes
    self.failure = failure
  }

  /// One JSON object: how a handler's tool hands its span to the consumer (`CLIPLINE_REPORT_FD`).
  public var json: JSONValue {
    var object: [String: JSONValue] = [
      "trace_id": .string(place.context.traceIDText), "span_id": .string(place.context.spanIDText),
      "name": .string(name), "kind": .integer(Int64(kind.rawValue)),
      "start_ns": .integer(Self.nanoseconds(start)), "end_ns": .integer(Self.nanoseconds(end)),
      "attributes": .object(attributes), "flags": .integer(Int64(place.context.flags)),
    ]
    if let parent = place.parentSpanID { object["parent_span_id"] = .string(TraceContext.hex(parent)) }
    if let state = place.context.traceState { object["trace_state"] = .string(state) }
    if let failure { object["failure"] = .string(failure) }
    return .object(object)
  }

  /// Reads what `json` wrote; nil for anything else (a report line is checked, never trusted).
  public init?(json value: JSONValue) {
    guard case .object(let object) = value, case .string(let trace)? = object["trace_id"],
      case .string(let span)? = object["span_id"], case .string(let name)? = object["name"],
      case .integer(let kind)? = object["kind"], let spanKind = Kind(rawValue: Int(kind)),
      case .integer(let start)? = object["start_ns"], case .integer(let end)? = object["end_ns"],
      let traceID = TraceContext.bytes(Substring(trace), count: 16),
      let spanID = TraceContext.bytes(Substring(span), count: 8)
    else { return nil }
    var parent: [UInt8]?
    if case .string(let text)? = object["parent_span_id"] { parent = TraceContext.bytes(Substring(text), count: 8) }
    var flags: UInt8 = 1
    if case .integer(let value)? = object["flags"] { flags = UInt8(truncatingIfNeeded: value) }
    let state = object["trace_state"]?.stringValue
    let context = TraceContext(traceID: traceID, spanID: spanID, flags: flags, traceState: state)
    var attributes: [String: JSONValue] = [:]
    if case .object(let given)? = object["attributes"] { attributes = given }
    self.init(
      place: SpanPlace(context: context, parentSpanID: parent), name: String(name.prefix(256)), kind: spanKind,
      start: Date(timeIntervalSince1970: Double(start) / 1e9), end: Date(timeIntervalSince1970: Double(end) / 1e9),
      attributes: attributes, failure: object["failure"]?.stringValue)
  }

  static func nanoseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1e9).rounded()) }
}
