import CliplineRecords
import CliplineSystem
import Foundation

/// Settling a message whose outcome is known: an ack, a requeue, or a copy (to the retry queue or the
/// dead-letter queue) published on the confirm channel, with the original acked only once the broker confirmed
/// the copy. A copy the broker cannot take (the dead-letter queue was deleted, say) keeps the original, which is
/// requeued after a growing delay and counted as an attempt, never at once (that made a hot loop).
final class CopySettlement {
  static let channel: UInt16 = 2
  static let copyIDHeader = "x-clipline-copy-id"

  private struct Pending {
    let delivery: Delivery
    let started: Date
    let decision: HandlingDecision
    let exitCode: Int32
    let copyID: String
    var returned = false
  }

  private let topology: QueueTopology
  /// No dead-letter queue exists and none was asked for (amqp-tools' usage): a failed message is rejected.
  var withoutDeadLetterQueue = false
  private let policy: FailurePolicy
  private let report: ConsumerReport
  private var pending: [UInt64: Pending] = [:]
  private var nextPublishTag: UInt64 = 1
  /// Originals whose copy failed, held (unacked) until their requeue is due.
  private var held: [(due: Date, delivery: Delivery)] = []
  /// Failed copies per message, across redeliveries of it, for the backoff.
  private var failedCopies: [String: Int] = [:]
  /// 1 s, 2 s, 4 s, … at most a minute.
  static func requeueDelay(afterFailures failures: Int) -> Double { min(60, pow(2, Double(min(failures, 7) - 1))) }

  init(topology: QueueTopology, policy: FailurePolicy, report: ConsumerReport) {
    self.topology = topology
    self.policy = policy
    self.report = report
  }

  var isEmpty: Bool { pending.isEmpty && held.isEmpty }
  var count: Int { pending.count + held.count }
  /// When the next held message is due for its requeue.
  var nextDue: Date? { held.map(\.due).min() }

  /// A new connection: the broker requeued everything unacked, so nothing here is ours to settle any more.
  func reset() {
    pending.removeAll()
    held.removeAll()
    nextPublishTag = 1
  }

  func settle(
    _ delivery: Delivery, decision: HandlingDecision, exitCode: Int32, errorText: String, started: Date,
    on connection: AMQPConnection
  ) throws {
    switch decision {
    case .acknowledge:
      try connection.ack(delivery.deliveryTag)
      report.summary.acknowledged += 1
      report.outcome(delivery, "acked", kind: .acked, started: started, exitCode: exitCode)
    case .requeue:
      try giveBack(delivery, on: connection)
      report.outcome(delivery, "requeued (stopped at shutdown)", kind: .requeued, started: started, exitCode: nil)
    case .postpone:
      let delay = holdAfterSetback(delivery)
      report.diagnostics.warning(
        "message \(ConsumerReport.name(of: delivery)): \(errorText); it is requeued in "
          + "\(String(format: "%.1f", delay)) s, not counted as an attempt")
    case .retry(let attempt, let delay):
      let copy = FailurePolicy.retryMessage(
        of: delivery, retryQueue: topology.retryQueue, attempt: attempt, delay: delay)
      try publish(copy, for: delivery, decision: decision, exitCode: exitCode, started: started, on: connection)
    case .deadLetter where withoutDeadLetterQueue:
      // amqp-tools' way: no copy anywhere; the queue's own x-dead-letter-exchange takes it, if it has one.
      try connection.reject(delivery.deliveryTag, requeue: false)
      report.summary.deadLettered += 1
      report.outcome(
        delivery, "rejected without requeue (no dead-letter queue)", kind: .deadLettered, started: started,
        exitCode: exitCode, level: .warning)
    case .deadLetter(let attempt):
      let copy = FailurePolicy.deadLetterMessage(
        of: delivery, queue: topology.queue, deadLetterQueue: topology.deadLetterQueue, exitCode: exitCode,
        error: errorText, attempt: attempt)
      try publish(copy, for: delivery, decision: decision, exitCode: exitCode, started: started, on: connection)
    }
  }

  func giveBack(_ delivery: Delivery, on connection: AMQPConnection) throws {
    try connection.reject(delivery.deliveryTag, requeue: true)
    report.summary.requeued += 1
  }

  private func publish(
    _ copy: OutgoingMessage, for delivery: Delivery, decision: HandlingDecision, exitCode: Int32, started: Date,
    on connection: AMQPConnection
  ) throws {
    var copy = copy
    let copyID = UUID().uuidString
    copy.properties.headerTable.set(Self.copyIDHeader, .string(copyID))
    let tag = nextPublishTag
    nextPublishTag += 1
    pending[tag] = Pending(delivery: delivery, started: started, decision: decision, exitCode: exitCode, copyID: copyID)
    try connection.publish(copy, channel: Self.channel)
  }

  /// basic.return: the copy found no queue (its confirm follows).
  func returned(_ message: ReturnedMessage) {
    guard let copyID = message.properties.headerTable[Self.copyIDHeader],
      case .string(let bytes) = copyID,
      let tag = pending.first(where: { Array($0.value.copyID.utf8) == bytes })?.key
    else { return }
    pending[tag]?.returned = true
  }

  func confirm(tag: UInt64, multiple: Bool, acknowledged: Bool, on connection: AMQPConnection) throws {
    let tags = multiple ? pending.keys.filter { $0 <= tag }.sorted() : [tag]
    for confirmed in tags {
      guard let settled = pending.removeValue(forKey: confirmed) else { continue }
      let delivery = settled.delivery
      guard acknowledged, !settled.returned else {
        hold(settled)
        continue
      }
      failedCopies.removeValue(forKey: Self.identity(of: delivery))
      try connection.ack(delivery.deliveryTag)
      switch settled.decision {
      case .retry(let attempt, let delay):
        report.summary.retried += 1
        report.outcome(
          delivery, "retry \(attempt) of \(policy.maxRetries) in \(DurationArgument.format(delay))", kind: .retried,
          started: settled.started, exitCode: settled.exitCode)
      default:
        report.summary.deadLettered += 1
        report.outcome(
          delivery, "dead-lettered to \(topology.deadLetterQueue)", kind: .deadLettered, started: settled.started,
          exitCode: settled.exitCode, level: .warning)
      }
    }
  }

  /// Requeues the held messages that are due.
  func requeueDue(on connection: AMQPConnection, now: Date = Date()) throws {
    let due = held.filter { $0.due <= now }
    held.removeAll { $0.due <= now }
    for entry in due { try giveBack(entry.delivery, on: connection) }
  }

  /// Keeps `delivery` unacked and schedules its requeue after a delay that grows with each setback it met (a
  /// refused copy, a handler that could not start); returns the delay.
  private func holdAfterSetback(_ delivery: Delivery) -> Double {
    let identity = Self.identity(of: delivery)
    let failures = (failedCopies[identity] ?? 0) + 1
    failedCopies[identity] = failures
    let delay = Self.requeueDelay(afterFailures: failures)
    held.append((Date().addingTimeInterval(delay), delivery))
    return delay
  }

  private func hold(_ settled: Pending) {
    let delivery = settled.delivery
    let delay = holdAfterSetback(delivery)
    let failures = failedCopies[Self.identity(of: delivery)] ?? 1
    let target: String
    if case .retry = settled.decision {
      target = "retry queue \"\(topology.retryQueue)\""
    } else {
      target = "dead-letter queue \"\(topology.deadLetterQueue)\""
    }
    let why = settled.returned ? "no queue took it (does the \(target) exist?)" : "the broker refused it"
    report.diagnostics.error(
      "message \(ConsumerReport.name(of: delivery)): its copy for the \(target) was not accepted: \(why); "
        + "the message is kept and requeued in \(String(format: "%.1f", delay)) s (failed attempt \(failures))")
  }

  /// A message across redeliveries: its message id, else its body and routing key.
  private static func identity(of delivery: Delivery) -> String {
    if let id = delivery.properties.messageID { return "id:" + id }
    var hasher = Hasher()
    hasher.combine(delivery.body)
    hasher.combine(delivery.routingKey)
    return "body:\(hasher.finalize())"
  }
}
