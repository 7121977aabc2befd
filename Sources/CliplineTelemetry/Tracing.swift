import CliplineRecords
import CliplineSystem
import Foundation

/// Where this process's finished spans go, chosen once from the environment (OpenTelemetry's variables):
/// - inside an `amqp-consume` handler (`CLIPLINE_REPORT_FD`): one JSON line per span on that descriptor, which the
///   consumer reads when the handler has exited and exports with its own; the handler never waits on a collector;
/// - else, with `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` (`http://`): a `SpanExporter`;
/// - else (or `OTEL_SDK_DISABLED=true`, `OTEL_TRACES_EXPORTER=none`): nowhere, and nothing is kept. Context still
///   propagates: `traceparent` headers and `TRACEPARENT` cost nothing and keep the ids in the logs.
public final class Tracing: Sendable {
  enum Sink: Sendable {
    case none
    case report(Int32)
    case exporter(SpanExporter)
  }

  public static let shared = Tracing(environment: ProcessInfo.processInfo.environment)

  let sink: Sink
  /// Why spans cannot be exported (an `https://` endpoint), said once by the tool.
  public let problem: String?

  init(environment: [String: String], tool: String = ToolName.current) {
    var problem: String?
    sink = Self.sink(environment: environment, tool: tool, problem: &problem)
    self.problem = problem
  }

  /// Whether spans go anywhere: when not, callers skip building them.
  public var isRecording: Bool {
    if case .none = sink { return false }
    return true
  }

  public func record(_ span: SpanRecord) {
    switch sink {
    case .none: return
    case .report(let descriptor):
      ReportChannel.append(["span": span.json], to: descriptor)
    case .exporter(let exporter):
      exporter.record(span)
    }
  }

  /// Spans dropped on the way to the collector so far (`clipline_spans_dropped_total` in a consumer's metrics).
  public var droppedSpans: Int {
    if case .exporter(let exporter) = sink { return exporter.droppedCount }
    return 0
  }

  /// Sends what is queued, waiting at most `timeout` seconds (a tool's last act; 0 for a report, already written).
  public func flush(timeout: Double = 2) {
    if case .exporter(let exporter) = sink { exporter.flush(timeout: timeout) }
  }

  private static func sink(
    environment: [String: String], tool: String, problem: inout String?
  ) -> Sink {
    func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
    if value("OTEL_SDK_DISABLED")?.lowercased() == "true" || value("OTEL_TRACES_EXPORTER") == "none" { return .none }
    if let descriptor = ReportChannel.descriptor(in: environment) { return .report(descriptor) }
    let endpoint =
      value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
      ?? value("OTEL_EXPORTER_OTLP_ENDPOINT").map { ($0.hasSuffix("/") ? String($0.dropLast()) : $0) + "/v1/traces" }
    guard let endpoint else { return .none }
    guard let post = PlainHTTPPost(url: endpoint) else {
      problem = "spans are not exported: \(endpoint) is not an http:// endpoint (run a collector beside the workers)"
      return .none
    }
    var resource = keyValues(value("OTEL_RESOURCE_ATTRIBUTES") ?? "")
    resource["service.name"] = value("OTEL_SERVICE_NAME") ?? resource["service.name"] ?? "clipline"
    resource["process.executable.name"] = tool
    let headers = keyValues(value("OTEL_EXPORTER_OTLP_TRACES_HEADERS") ?? value("OTEL_EXPORTER_OTLP_HEADERS") ?? "")
    let exporter = SpanExporter(
      post: post, resource: resource, headers: headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    ) { _, reason in
      if let reason { StandardError.write("\(tool): warning: spans dropped: \(SecretRedaction.text(reason))\n") }
    }
    return .exporter(exporter)
  }

  /// `key=value,key=value`, values percent-decoded (OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS).
  static func keyValues(_ text: String) -> [String: String] {
    var pairs: [String: String] = [:]
    for item in text.split(separator: ",") {
      guard let equals = item.firstIndex(of: "=") else { continue }
      let key = item[..<equals].trimmingCharacters(in: .whitespaces)
      let value = item[item.index(after: equals)...].trimmingCharacters(in: .whitespaces)
      if !key.isEmpty { pairs[key] = value.removingPercentEncoding ?? value }
    }
    return pairs
  }
}

/// The running tool's name, from its executable.
enum ToolName {
  static var current: String { (CommandLine.arguments.first.map { ($0 as NSString).lastPathComponent }) ?? "clipline" }
}

/// This run's span: every tool has one, a child of `TRACEPARENT` (a new trace without it). Its context is what
/// the tool's HTTP requests and published messages carry.
public enum ToolTrace {
  static let incoming = TraceContext.fromEnvironment()
  public static let place = SpanPlace(continuing: incoming)
  public static let started = Date()

  /// What the tool's outgoing requests carry as `traceparent`: nil when nothing traces this run (no TRACEPARENT
  /// came in and no spans are recorded), so that tracing left off adds nothing to any request.
  public static let outgoing: TraceContext? = incoming != nil || Tracing.shared.isRecording ? place.context : nil

  /// Records the run's span (named `name`, `kind`) as it ends, with its exit code, and sends what is queued.
  public static func finish(
    name: String, kind: SpanRecord.Kind, attributes: [String: JSONValue] = [:], exitCode: Int32, failure: String?
  ) {
    guard Tracing.shared.isRecording else { return }
    var all = attributes
    all["process.exit.code"] = .integer(Int64(exitCode))
    Tracing.shared.record(
      SpanRecord(place: place, name: name, kind: kind, start: started, attributes: all, failure: failure))
    Tracing.shared.flush()
  }
}
