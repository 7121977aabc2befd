import CliplineRecords
import CliplineSystem
import CliplineTelemetry
import Foundation

/// The counts a run ends with (also in the health file).
public struct ConsumerSummary: Equatable, Sendable {
  public var received = 0
  public var acknowledged = 0
  public var retried = 0
  public var deadLettered = 0
  /// Print mode: messages dead-lettered because their body is not a JSON object (the run exits 65).
  public var rejectedBodies = 0
  public var requeued = 0
  public var reconnects = 0
}

/// What a consumer tells people: one stderr line per message, the health file, and the metrics.
final class ConsumerReport {
  /// How a message ended, as the metrics' `outcome` label says it.
  enum OutcomeKind: String {
    case acked, requeued, retried
    case deadLettered = "dead_lettered"
  }

  let diagnostics: Diagnostics
  private let healthFile: HealthFile?
  let telemetry: ConsumerTelemetry?
  private let queue: String
  var summary = ConsumerSummary()
  var lastMessageAt: Date?
  /// Set once the consumer stops taking messages: no longer ready.
  var stopping = false
  /// When the connection was last (re)established, and whether it has proved itself since (a message settled,
  /// or a quiet spell): a consumer that reconnects in a loop never reports "connected".
  private var connectedAt: Date?
  private var provenSinceConnect = false
  static let provingTime = 30.0

  init(diagnostics: Diagnostics, healthFile: HealthFile?, telemetry: ConsumerTelemetry? = nil, queue: String) {
    self.diagnostics = diagnostics
    self.healthFile = healthFile
    self.telemetry = telemetry
    self.queue = queue
  }

  static func name(of delivery: Delivery) -> String {
    delivery.properties.messageID.map { "\"\($0)\"" } ?? "#\(delivery.deliveryTag)"
  }

  func connected(afterLoss: Bool) {
    connectedAt = Date()
    provenSinceConnect = !afterLoss
  }

  func disconnected() { connectedAt = nil }

  /// The one line per message: what happened and how long it took (the seed's "processed in X s").
  func outcome(
    _ delivery: Delivery, _ outcome: String, kind: OutcomeKind, started: Date, exitCode: Int32?,
    level: Diagnostics.Level = .info
  ) {
    if level == .info { provenSinceConnect = true }
    let seconds = Date().timeIntervalSince(started)
    telemetry?.settled(outcome: kind.rawValue, exitCode: exitCode, seconds: seconds)
    recordSpan(of: delivery, kind: kind, outcome: outcome, started: started, exitCode: exitCode)
    var fields: [String: JSONValue] = [
      "outcome": .string(outcome), "duration_s": .double((seconds * 1000).rounded() / 1000),
      "routing_key": .string(delivery.routingKey), "redelivered": .bool(delivery.redelivered),
      "queue": .string(queue),
    ]
    if let id = delivery.properties.messageID { fields["message_id"] = .string(id) }
    fields.merge(delivery.trace?.logFields ?? [:]) { ours, _ in ours }
    if let exitCode { fields["exit_code"] = .integer(Int64(exitCode)) }
    let exitText = exitCode.map { $0 == 0 ? "" : " (exit \($0))" } ?? ""
    diagnostics.log(
      level, "message \(Self.name(of: delivery)) \(outcome) in \(String(format: "%.3f", seconds)) s\(exitText)",
      fields: fields)
  }

  /// The message's span (OpenTelemetry's messaging conventions: `QUEUE process`, a consumer), ended as it settles.
  private func recordSpan(of delivery: Delivery, kind: OutcomeKind, outcome: String, started: Date, exitCode: Int32?) {
    guard Tracing.shared.isRecording, let place = delivery.trace else { return }
    var attributes: [String: JSONValue] = [
      "messaging.system": "rabbitmq", "messaging.operation.type": "process",
      "messaging.destination.name": .string(queue),
      "messaging.rabbitmq.destination.routing_key":
        .string(delivery.routingKey), "clipline.outcome": .string(kind.rawValue),
    ]
    if let id = delivery.properties.messageID { attributes["messaging.message.id"] = .string(id) }
    if let exitCode { attributes["process.exit.code"] = .integer(Int64(exitCode)) }
    Tracing.shared.record(
      SpanRecord(
        place: place, name: "\(queue) process", kind: .consumer, start: started, attributes: attributes,
        failure: kind == .acked || kind == .requeued ? nil : outcome))
  }

  /// `state` nil: connected, or "recovering" while a fresh reconnection has not proved itself yet.
  func writeHealth(_ state: String? = nil, running: Int, oldestStart: Date? = nil, force: Bool = false) {
    let shown = shownState(state)
    tellServiceManager(state: state, shown: shown)
    if let telemetry {
      telemetry.update(
        summary, state: stopping && state == nil ? "stopping" : shown, running: running, oldestStart: oldestStart)
      if let failure = telemetry.writeTextfile(force: state == "stopped") { diagnostics.warning(describe(failure)) }
    }
    guard let healthFile else { return }
    var fields: [String: JSONValue] = [
      "state": .string(shown), "queue": .string(queue), "received": .integer(Int64(summary.received)),
      "acked": .integer(Int64(summary.acknowledged)), "retried": .integer(Int64(summary.retried)),
      "dead_lettered": .integer(Int64(summary.deadLettered)), "requeued": .integer(Int64(summary.requeued)),
      "running": .integer(Int64(running)), "reconnects": .integer(Int64(summary.reconnects)),
    ]
    if let lastMessageAt { fields["last_message_at"] = .string(RFC3339.format(lastMessageAt)) }
    healthFile.update(fields, force: force)
  }

  /// What systemd hears (Type=notify, WatchdogSec=): ready once consuming, a watchdog ping while the loop turns in
  /// any state (reconnecting too: the process is not stuck), stopping from the stop on.
  private func tellServiceManager(state: String?, shown: String) {
    if stopping || state == "stopped" {
      ServiceNotifier.shared.stopping()
    } else {
      let status = shown == "connected" ? "consuming \(queue)" : "\(shown) (\(queue))"
      ServiceNotifier.shared.alive(ready: state == nil, status: status)
    }
  }

  private func shownState(_ state: String?) -> String {
    guard state == nil else { return state! }
    if let connectedAt, !provenSinceConnect {
      if Date().timeIntervalSince(connectedAt) >= Self.provingTime {
        provenSinceConnect = true
      } else {
        return "recovering"
      }
    }
    return "connected"
  }
}
