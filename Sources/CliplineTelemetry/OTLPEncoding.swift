import CliplineRecords
import Foundation

/// OTLP's `ExportTraceServiceRequest` in protobuf's wire format, written by hand from the OpenTelemetry project's
/// .proto files (opentelemetry/proto/trace/v1/trace.proto, common/v1/common.proto): the body of an OTLP/HTTP
/// request with `Content-Type: application/x-protobuf`, which every collector takes. The field numbers are theirs.
enum OTLPEncoding {
  /// One request: the resource (service.name and OTEL_RESOURCE_ATTRIBUTES), one scope, the spans.
  static func request(_ spans: [SpanRecord], resource: [String: String]) -> [UInt8] {
    var resourceMessage = ProtobufWriter()
    for (key, value) in resource.sorted(by: { $0.key < $1.key }) {
      resourceMessage.message(1, keyValue(key, .string(value)))  // Resource.attributes
    }
    var scope = ProtobufWriter()
    scope.string(1, "clipline")  // InstrumentationScope.name
    var scopeSpans = ProtobufWriter()
    scopeSpans.message(1, scope.bytes)  // ScopeSpans.scope
    for span in spans { scopeSpans.message(2, self.span(span)) }  // ScopeSpans.spans
    var resourceSpans = ProtobufWriter()
    resourceSpans.message(1, resourceMessage.bytes)  // ResourceSpans.resource
    resourceSpans.message(2, scopeSpans.bytes)  // ResourceSpans.scope_spans
    var request = ProtobufWriter()
    request.message(1, resourceSpans.bytes)  // ExportTraceServiceRequest.resource_spans
    return request.bytes
  }

  static func span(_ span: SpanRecord) -> [UInt8] {
    var out = ProtobufWriter()
    out.bytesField(1, span.place.context.traceID)
    out.bytesField(2, span.place.context.spanID)
    if let state = span.place.context.traceState { out.string(3, state) }
    if let parent = span.place.parentSpanID { out.bytesField(4, parent) }
    out.string(5, span.name)
    out.varint(6, UInt64(span.kind.rawValue))
    out.fixed64(7, UInt64(max(0, SpanRecord.nanoseconds(span.start))))
    out.fixed64(8, UInt64(max(0, SpanRecord.nanoseconds(span.end))))
    for (key, value) in span.attributes.sorted(by: { $0.key < $1.key }) { out.message(9, keyValue(key, value)) }
    var status = ProtobufWriter()
    if let failure = span.failure {
      status.string(2, failure)  // Status.message
      status.varint(3, 2)  // Status.code: STATUS_CODE_ERROR
    }
    out.message(15, status.bytes)
    out.fixed32(16, UInt32(span.place.context.flags))  // Span.flags: the W3C trace flags
    return out.bytes
  }

  /// KeyValue { key = 1; AnyValue value = 2 }, AnyValue's oneof: string 1, bool 2, int 3, double 4.
  static func keyValue(_ key: String, _ value: JSONValue) -> [UInt8] {
    var any = ProtobufWriter()
    switch value {
    case .bool(let flag): any.varint(2, flag ? 1 : 0, always: true)
    case .integer(let number): any.varint(3, UInt64(bitPattern: number), always: true)
    case .double(let number): any.fixed64(4, number.bitPattern, always: true)
    case .string(let text): any.string(1, text, always: true)
    default: any.string(1, JSONSerializer.string(value), always: true)
    }
    var pair = ProtobufWriter()
    pair.string(1, key)
    pair.message(2, any.bytes)
    return pair.bytes
  }
}

/// Protobuf's wire format, the four encodings OTLP needs. Fields at their default (0, empty) are left out, as
/// protobuf writers do, unless `always` (a oneof member must be written to say which one is set).
struct ProtobufWriter {
  private(set) var bytes: [UInt8] = []

  mutating func varint(_ field: Int, _ value: UInt64, always: Bool = false) {
    guard value != 0 || always else { return }
    tag(field, 0)
    raw(value)
  }

  mutating func fixed64(_ field: Int, _ value: UInt64, always: Bool = false) {
    guard value != 0 || always else { return }
    tag(field, 1)
    for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
  }

  mutating func fixed32(_ field: Int, _ value: UInt32) {
    tag(field, 5)
    for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
  }

  mutating func string(_ field: Int, _ text: String, always: Bool = false) {
    guard !text.isEmpty || always else { return }
    bytesField(field, Array(text.utf8))
  }

  mutating func bytesField(_ field: Int, _ value: [UInt8]) {
    tag(field, 2)
    raw(UInt64(value.count))
    bytes += value
  }

  /// An embedded message, written even when empty (an empty Status still says "unset").
  mutating func message(_ field: Int, _ value: [UInt8]) { bytesField(field, value) }

  private mutating func tag(_ field: Int, _ wireType: UInt64) { raw(UInt64(field) << 3 | wireType) }

  private mutating func raw(_ value: UInt64) {
    var rest = value
    while rest >= 0x80 {
      bytes.append(UInt8(rest & 0x7f) | 0x80)
      rest >>= 7
    }
    bytes.append(UInt8(rest))
  }
}
