import CliplineRecords
import CliplineSystem
import CliplineTelemetry
import Foundation

/// amqp-consume's metrics and probes: the counters of `ConsumerSummary` and the gauges of the loop, copied into a
/// `MetricRegistry` on the consumer's thread at each turn (at least once a second), a handler-duration histogram fed
/// as outcomes are settled, and what `/healthz` and `/readyz` answer. A scrape reads the registry under its lock and
/// never touches the connection.
///
/// `lock` guards `state` and `heartbeat`; `registry` is Sendable; every other stored property is a `let`.
public final class ConsumerTelemetry: @unchecked Sendable {
  public let registry: MetricRegistry
  let queue: String
  let deadLetterQueue: String?
  let textfile: PacedTextfile?
  /// How often the consumer looks at its queues' depths (a passive declare each).
  static let depthInterval = 15.0
  /// `/healthz` fails when the consumer's loop has not turned for this long.
  static let stuckAfter = 30.0

  private let lock = NSLock()
  private var state = "starting"
  private var heartbeat = Date()
  private var depthsSeen = Date.distantPast

  /// `deadLetterQueue` nil: print mode, which does not watch one.
  public init(
    queue: String, deadLetterQueue: String?, handlerTimeout: Double?, textfile: MetricsTextfile?,
    registry: MetricRegistry = MetricRegistry()
  ) {
    self.registry = registry
    self.queue = queue
    self.deadLetterQueue = deadLetterQueue
    self.textfile = textfile.map { PacedTextfile($0) }
    for descriptor in [
      ClipMetrics.messagesReceived, ClipMetrics.messagesAcked, ClipMetrics.messagesRetried,
      ClipMetrics.messagesDeadLettered, ClipMetrics.messagesRequeued, ClipMetrics.reconnects,
    ] {
      registry.add(descriptor, 0, labels: [queue])
    }
    registry.declare(ClipMetrics.handlerDuration)
    // Shown from the start (empty) where handlers run, so dashboards and alerts find the families.
    if deadLetterQueue != nil {
      for descriptor in ClipMetrics.reported { registry.declare(ClipMetrics.perQueue(descriptor)) }
    }
    registry.set(ClipMetrics.handlerTimeout, handlerTimeout ?? 0, labels: [queue])
    registry.set(ClipMetrics.lastAck, Date().timeIntervalSince1970, labels: [queue])
  }

  /// What the listener's probes answer: alive while the loop turns; ready while consuming on a live connection.
  public var probes: MetricsListener.Probes {
    MetricsListener.Probes(
      health: { [self] in
        let (quiet, current) = lock.withLock { () -> (Double, String) in
          (Date().timeIntervalSince(heartbeat), state)
        }
        if current == "stopped" { return "stopped" }
        return quiet > Self.stuckAfter ? "the consumer's loop has not turned for \(Int(quiet)) s" : nil
      },
      readiness: { [self] in
        let current = lock.withLock { () -> String in state }
        return current == "connected" || current == "recovering" ? nil : current
      })
  }

  /// Each turn of the loop: the counts, the state ("connected", "recovering", "reconnecting", "stopping",
  /// "stopped"), the running handlers and the oldest one's start.
  func update(_ summary: ConsumerSummary, state: String, running: Int, oldestStart: Date?) {
    lock.withLock {
      self.state = state
      heartbeat = Date()
    }
    let labels = [queue]
    registry.set(ClipMetrics.messagesReceived, Double(summary.received), labels: labels)
    registry.set(ClipMetrics.messagesAcked, Double(summary.acknowledged), labels: labels)
    registry.set(ClipMetrics.messagesRetried, Double(summary.retried), labels: labels)
    registry.set(ClipMetrics.messagesDeadLettered, Double(summary.deadLettered), labels: labels)
    registry.set(ClipMetrics.messagesRequeued, Double(summary.requeued), labels: labels)
    registry.set(ClipMetrics.reconnects, Double(summary.reconnects), labels: labels)
    registry.set(ClipMetrics.handlersRunning, Double(running), labels: labels)
    registry.set(ClipMetrics.oldestHandler, oldestStart.map { Date().timeIntervalSince($0) } ?? 0, labels: labels)
    registry.set(ClipMetrics.connected, state == "connected" || state == "recovering" ? 1 : 0, labels: labels)
    if Tracing.shared.isRecording { registry.set(ClipMetrics.spansDropped, Double(Tracing.shared.droppedSpans)) }
  }

  /// A settled message: its handler's duration by outcome and exit code, and when the last ack happened.
  func settled(outcome: String, exitCode: Int32?, seconds: Double) {
    let code = exitCode.map(String.init) ?? ""
    registry.observe(ClipMetrics.handlerDuration, seconds, labels: [queue, outcome, code])
    if outcome == "acked" { registry.set(ClipMetrics.lastAck, Date().timeIntervalSince1970, labels: [queue]) }
  }

  /// A handler's tools' counts and stage timings (one report line's `metrics`), under this consumer's queue.
  func merge(_ reported: JSONValue) {
    MetricsReport.merge(reported, into: registry, queue: queue)
  }

  /// The queues' depths (every 15 s, a passive declare each), on a channel of their own: a dead-letter queue
  /// deleted meanwhile closes that channel (opened again next time), never the consuming one.
  func lookAtDepths(on connection: AMQPConnection, diagnostics: Diagnostics) {
    let due = lock.withLock {
      guard Date().timeIntervalSince(depthsSeen) >= Self.depthInterval else { return false }
      depthsSeen = Date()
      return true
    }
    guard due else { return }
    do {
      if !connection.isOpen(channel: Self.depthChannel) { try connection.openChannel(Self.depthChannel) }
      let ready = try connection.declareQueue(queue, channel: Self.depthChannel, passive: true).messages
      registry.set(ClipMetrics.queueMessages, Double(ready), labels: [queue])
      if let deadLetterQueue {
        let dead = try connection.declareQueue(deadLetterQueue, channel: Self.depthChannel, passive: true).messages
        registry.set(ClipMetrics.deadLetterMessages, Double(dead), labels: [queue, deadLetterQueue])
      }
    } catch {
      diagnostics.debug("could not look at the queues' depths: \(describe(error))")
    }
  }

  static let depthChannel: UInt16 = 3

  /// The textfile, at most every 5 s, or now when `force` (the run is over). A failure is returned, to be said.
  func writeTextfile(force: Bool) -> Error? {
    textfile?.write(registry, force: force)
  }
}
