import CliplineRecords
import Foundation

/// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` that names a trace and the span a
/// piece of work belongs to, and the vendors' `tracestate` carried along untouched. It travels in AMQP headers, in
/// a handler's environment (`TRACEPARENT`, `TRACESTATE`) and on every HTTP request.
public struct TraceContext: Sendable, Equatable {
  /// 16 bytes, never all zero.
  public let traceID: [UInt8]
  /// 8 bytes, never all zero: the span this context names (the parent of whatever continues it).
  public let spanID: [UInt8]
  /// Bit 0: the caller sampled this trace (recorded and exported).
  public let flags: UInt8
  /// The vendors' list (at most 512 bytes kept), passed on as it came.
  public let traceState: String?

  public init(traceID: [UInt8], spanID: [UInt8], flags: UInt8 = 1, traceState: String? = nil) {
    self.traceID = traceID
    self.spanID = spanID
    self.flags = flags
    self.traceState = traceState
  }

  /// A new trace, sampled: what a tool starts when nothing came in.
  public static func newTrace() -> TraceContext {
    TraceContext(traceID: randomID(16), spanID: randomID(8))
  }

  /// The same trace, a new span whose parent is this one.
  public func child() -> TraceContext {
    TraceContext(traceID: traceID, spanID: Self.randomID(8), flags: flags, traceState: traceState)
  }

  public var isSampled: Bool { flags & 1 == 1 }

  /// `00-<trace id>-<span id>-<flags>`, lowercase hex.
  public var traceparent: String {
    "00-\(Self.hex(traceID))-\(Self.hex(spanID))-\(Self.hex([flags]))"
  }

  public var traceIDText: String { Self.hex(traceID) }
  public var spanIDText: String { Self.hex(spanID) }

  /// Reads a `traceparent` (and its `tracestate`); nil when it is not one, as the spec says to treat it: a receiver
  /// then starts a trace of its own. A higher version is read by its first four fields, as the spec asks.
  public init?(traceparent: String, traceState: String? = nil) {
    let fields = traceparent.trimmingCharacters(in: .whitespaces).split(
      separator: "-", omittingEmptySubsequences: false)
    guard fields.count >= 4, let version = Self.bytes(fields[0], count: 1), version[0] != 0xff,
      let trace = Self.bytes(fields[1], count: 16), trace.contains(where: { $0 != 0 }),
      let span = Self.bytes(fields[2], count: 8), span.contains(where: { $0 != 0 }),
      let flags = Self.bytes(fields[3], count: 1)
    else { return nil }
    if version[0] == 0 && fields.count != 4 { return nil }
    let state = traceState?.trimmingCharacters(in: .whitespaces)
    self.init(
      traceID: trace, spanID: span, flags: flags[0],
      traceState: state.flatMap { $0.isEmpty || $0.utf8.count > 512 ? nil : $0 })
  }

  /// The context a process was handed (`TRACEPARENT`, `TRACESTATE`), if any.
  public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
    -> TraceContext?
  {
    environment["TRACEPARENT"].flatMap { TraceContext(traceparent: $0, traceState: environment["TRACESTATE"]) }
  }

  static func randomID(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    while true {
      let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
      if bytes.contains(where: { $0 != 0 }) { return bytes }
    }
  }

  static func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Lowercase hex of exactly `count` bytes (the spec allows no uppercase), else nil.
  static func bytes(_ text: Substring, count: Int) -> [UInt8]? {
    let utf8 = Array(text.utf8)
    guard utf8.count == count * 2 else { return nil }
    var out: [UInt8] = []
    for index in stride(from: 0, to: utf8.count, by: 2) {
      guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
      out.append(high << 4 | low)
    }
    return out
  }

  private static func nibble(_ character: UInt8) -> UInt8? {
    switch character {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
    default: return nil
    }
  }
}

/// Where a span sits in its trace: its own context, and the span it continues (nil for a trace's root).
public struct SpanPlace: Sendable, Equatable {
  public let context: TraceContext
  public let parentSpanID: [UInt8]?

  public init(context: TraceContext, parentSpanID: [UInt8]?) {
    self.context = context
    self.parentSpanID = parentSpanID
  }

  /// A span continuing `incoming` (a child of its span), or the root of a new trace when nothing came in.
  public init(continuing incoming: TraceContext?) {
    context = incoming?.child() ?? TraceContext.newTrace()
    parentSpanID = incoming?.spanID
  }

  /// The ids a JSON log line carries.
  public var logFields: [String: JSONValue] {
    ["trace_id": .string(context.traceIDText), "span_id": .string(context.spanIDText)]
  }
}

extension TraceContext {
  /// The context in a message's headers (`traceparent`, `tracestate`, as OpenTelemetry's propagators write them).
  public init?(headers: [String: JSONValue]) {
    guard case .string(let parent)? = headers["traceparent"] else { return nil }
    var state: String?
    if case .string(let text)? = headers["tracestate"] { state = text }
    self.init(traceparent: parent, traceState: state)
  }

  /// The environment a child process continues this context from.
  public var environment: [String: String] {
    var variables = ["TRACEPARENT": traceparent]
    if let traceState { variables["TRACESTATE"] = traceState }
    return variables
  }
}
