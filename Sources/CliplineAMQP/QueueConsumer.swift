import Foundation
import CliplineRecords
import CliplineSystem

/// What `amqp-consume` does with each message.
public enum ConsumerMode {
  /// Write the body (a JSON object) as a line, optionally with an `amqp` field carrying the envelope; ack after
  /// the line is written.
  case print(envelope: Bool)
  /// Run `command` once per message, `concurrency` at a time; the exit code decides (see `FailurePolicy`).
  /// `onFailure` (a shell command) runs for each message that goes to the dead-letter queue.
  case handler(command: [String], concurrency: Int, onFailure: String?)
}

public struct ConsumerSettings {
  public var topology: QueueTopology
  public var declare = false
  /// Unacked messages the broker may send ahead in print mode (handler mode uses the concurrency).
  public var prefetch = 100
  /// Stop after this many messages were taken.
  public var count: Int?
  /// Stop when no message came for this long and nothing is running.
  public var idleTimeout: Double?
  /// After SIGTERM/SIGINT, how long running handlers may take before they are killed and their messages requeued.
  public var grace: Double = 30
  public var policy = FailurePolicy()
  public var handlerTimeout: Double?
  /// The broker's consumer_timeout (RabbitMQ default 30 min; 0: disabled there). A handler is stopped before it,
  /// because past it the broker closes the whole channel and requeues every unacked message on it.
  public var consumerTimeout: Double = 1800
  /// How long to keep reconnecting when the broker goes away; nil: for ever.
  public var reconnectFor: Double?

  public init(topology: QueueTopology) { self.topology = topology }

  /// The time a handler gets: --timeout, but never past (consumer_timeout − a margin).
  public var effectiveHandlerTimeout: Double? {
    guard consumerTimeout > 0 else { return handlerTimeout }
    let guardLimit = consumerTimeout - min(60, consumerTimeout * 0.1)
    return min(handlerTimeout ?? .infinity, guardLimit)
  }
}

/// The counts a run ends with (also in the health file).
public struct ConsumerSummary: Equatable, Sendable {
  public var received = 0
  public var acknowledged = 0
  public var retried = 0
  public var deadLettered = 0
  public var requeued = 0
  public var reconnects = 0
}

/// The consumer: one thread owns the connection (rabbitmq-c is single-threaded) and does all acks and
/// publishes; handlers run on their own threads and hand their outcome back through `completions`.
/// Channel 1 consumes; channel 2 publishes retry and dead-letter copies in confirm mode, and a message is
/// acked only once its copy is confirmed.
public final class QueueConsumer {
  private struct RunningJob {
    let delivery: Delivery
    let process: HandlerProcess
    let started: Date
  }

  private struct Completion {
    let generation: Int
    let delivery: Delivery
    let started: Date
    let decision: HandlingDecision
    let exitCode: Int32
    let errorText: String
  }

  /// A message whose retry or dead-letter copy awaits the broker's confirm.
  private struct Settlement {
    let delivery: Delivery
    let started: Date
    let decision: HandlingDecision
    let exitCode: Int32
    let copyID: String
    var returned = false
  }

  private static let copyIDHeader = "x-clipline-copy-id"
  private static let publishChannel: UInt16 = 2

  private let options: ConnectionOptions
  private let settings: ConsumerSettings
  private let mode: ConsumerMode
  private let output: RecordWriter
  private let diagnostics: Diagnostics
  private let healthFile: HealthFile?

  private var connection: AMQPConnection?
  private var generation = 0
  private var consumerTag: String?
  private var running: [UInt64: RunningJob] = [:]
  private var waiting: [Delivery] = []
  private var settlements: [UInt64: Settlement] = [:]
  private var nextPublishTag: UInt64 = 1
  private let completionLock = NSLock()
  private var completions: [Completion] = []
  private var taken = 0
  private var stopping = false
  private var graceDeadline: Date?
  private var killedAtGraceEnd = false
  private var lastActivity = Date()
  private var lastMessageAt: Date?
  private var outputClosed = false
  public private(set) var summary = ConsumerSummary()

  public init(
    options: ConnectionOptions, settings: ConsumerSettings, mode: ConsumerMode, output: RecordWriter,
    diagnostics: Diagnostics, healthFile: HealthFile? = nil
  ) {
    self.options = options
    self.settings = settings
    self.mode = mode
    self.output = output
    self.diagnostics = diagnostics
    self.healthFile = healthFile
  }

  private var queue: String { settings.topology.queue }

  private var concurrency: Int {
    if case .handler(_, let concurrency, _) = mode { return concurrency }
    return 1
  }

  // MARK: The loop

  /// Consumes until --count, --idle-timeout, SIGTERM/SIGINT or a closed stdout; returns the counts.
  @discardableResult
  public func run() throws -> ConsumerSummary {
    ShutdownSignal.shared.install()
    var reconnectAttempt = 0
    var brokerAwaySince: Date?
    defer {
      connection?.close()
      connection = nil
      writeHealth("stopped", force: true)
    }
    while true {
      do {
        if connection == nil {
          if isFinished { break }
          try connect()
          reconnectAttempt = 0
          brokerAwaySince = nil
        }
        if try step() { break }
      } catch let error as AMQPError where error.isConnectionLost || isChannelFailure(error) {
        lose(error)
        if isFinished { break }
        let awaySince = brokerAwaySince ?? Date()
        brokerAwaySince = awaySince
        if let limit = settings.reconnectFor, Date().timeIntervalSince(awaySince) >= limit { throw error }
        reconnectAttempt += 1
        let wait = RetryPolicy(attempts: .max, baseDelay: 0.2, maximumDelay: 5).delay(beforeRetry: reconnectAttempt)
        writeHealth("reconnecting", force: true)
        diagnostics.warning("\(error); reconnecting in \(String(format: "%.1f", wait)) s")
        sleepWhileSettling(wait)
      }
    }
    return summary
  }

  private func isChannelFailure(_ error: AMQPError) -> Bool {
    // Past the first connect, a closed channel (consumer_timeout, a deleted queue) is recovered by reconnecting.
    if case .channelClosed = error.origin { return generation > 0 && !error.operation.hasPrefix("checking") }
    return false
  }

  /// Done when asked to stop (or the count is reached, or idle) and nothing is left running or unconfirmed.
  private var isFinished: Bool {
    let quiet = running.isEmpty && settlements.isEmpty && waiting.isEmpty
    if outputClosed { return true }
    if stopping && quiet { return true }
    if let count = settings.count, taken >= count, quiet { return true }
    return false
  }

  private func connect() throws {
    let opened = try AMQPConnection(options)
    if settings.declare { try settings.topology.declare(on: opened) }
    if case .handler = mode {
      // Failures need somewhere to go before the first message is taken.
      do {
        try opened.declareQueue(settings.topology.deadLetterQueue, passive: true)
      } catch let error as AMQPError where error.origin == .channelClosed(replyCode: 404) {
        throw AMQPError(
          operation: error.operation,
          message: "the dead-letter queue \"\(settings.topology.deadLetterQueue)\" does not exist: create it, "
            + "or pass --declare (and --dlq NAME)", origin: error.origin)
      }
      try settings.topology.declareRetryQueue(on: opened)
      try opened.openChannel(Self.publishChannel)
      try opened.enableConfirms(channel: Self.publishChannel)
    }
    let prefetch: Int
    switch mode {
    case .print: prefetch = min(settings.prefetch, settings.count.map { max(1, $0 - taken) } ?? .max)
    case .handler(_, let concurrency, _): prefetch = concurrency
    }
    try opened.setPrefetch(prefetch)
    consumerTag = try opened.consume(queue: queue)
    connection = opened
    nextPublishTag = 1
    if generation > 0 {
      summary.reconnects += 1
      diagnostics.info("reconnected to \(options.endpoint); consuming \(queue) again")
    }
    generation += 1
    lastActivity = Date()
    writeHealth("connected", force: true)
  }

  /// A lost connection: the broker requeues every unacked message, so forget the ones not started and the
  /// copies not confirmed. Handlers still running finish, but their messages come again (at-least-once).
  private func lose(_ error: AMQPError) {
    if error.isConsumerTimeout {
      diagnostics.error(
        "RabbitMQ closed the channel because a message stayed unacknowledged past its consumer_timeout; it requeued "
          + "the message. Raise consumer_timeout in rabbitmq.conf (milliseconds; RabbitMQ 3.10 has no per-queue "
          + "setting) and pass the same value as --consumer-timeout, so handlers are stopped before it")
    }
    connection = nil
    consumerTag = nil
    if !waiting.isEmpty || !settlements.isEmpty {
      diagnostics.warning(
        "connection lost with \(waiting.count) messages not started and \(settlements.count) not settled; "
          + "the broker delivers them again")
    }
    waiting.removeAll()
    settlements.removeAll()
    generation += 1
  }

  /// One turn: settle finished handlers, start waiting ones, watch for stop conditions, read one event.
  /// Returns true when the run is over.
  private func step() throws -> Bool {
    guard let connection else { return false }
    for completion in takeCompletions() { try settle(completion, on: connection) }
    try startWaiting()
    if ShutdownSignal.shared.isRequested && !stopping { try beginStopping(connection, reason: "signal received") }
    if let graceDeadline, Date() >= graceDeadline, !killedAtGraceEnd {
      killedAtGraceEnd = true
      if !running.isEmpty {
        diagnostics.warning("grace period over: stopping \(running.count) handlers; their messages are requeued")
      }
      for job in running.values { job.process.stop(.shutdown) }
    }
    if isFinished { return true }
    let busy = !running.isEmpty || !settlements.isEmpty
    if let idle = settings.idleTimeout, !busy, waiting.isEmpty, Date().timeIntervalSince(lastActivity) >= idle {
      if !stopping { try beginStopping(connection, reason: "idle for \(DurationArgument.format(idle))") }
      if isFinished { return true }
    }
    // Handlers cannot wake a thread blocked in rabbitmq-c: poll briefly while any are running.
    writeHealth("connected")
    guard let event = try connection.nextEvent(timeout: busy ? 0.001 : 0.1) else { return false }
    switch event {
    case .delivery(let delivery):
      try receive(delivery, on: connection)
    case .confirm(let channel, let tag, let multiple, let acknowledged):
      guard channel == Self.publishChannel else { return false }
      try confirm(tag: tag, multiple: multiple, acknowledged: acknowledged, on: connection)
    case .returned(let returned):
      if let copyID = returned.properties.headers[Self.copyIDHeader]?.stringValue,
        let tag = settlements.first(where: { $0.value.copyID == copyID })?.key
      {
        settlements[tag]?.returned = true
      }
    }
    return isFinished
  }

  private func beginStopping(_ connection: AMQPConnection, reason: String) throws {
    stopping = true
    graceDeadline = Date().addingTimeInterval(settings.grace)
    if let consumerTag { try connection.cancel(consumerTag: consumerTag) }
    consumerTag = nil
    for delivery in waiting { try giveBack(delivery, on: connection) }
    waiting.removeAll()
    if running.isEmpty {
      diagnostics.debug("stopping: \(reason)")
    } else {
      diagnostics.info(
        "stopping (\(reason)): waiting up to \(DurationArgument.format(settings.grace)) for \(running.count) handlers")
    }
  }

  private func giveBack(_ delivery: Delivery, on connection: AMQPConnection) throws {
    try connection.reject(delivery.deliveryTag, requeue: true)
    summary.requeued += 1
  }

  // MARK: Deliveries

  private func receive(_ delivery: Delivery, on connection: AMQPConnection) throws {
    lastActivity = Date()
    if stopping || outputClosed || (settings.count.map { taken >= $0 } ?? false) {
      try giveBack(delivery, on: connection)  // sent before our cancel took effect, or beyond --count
      return
    }
    taken += 1
    summary.received += 1
    lastMessageAt = Date()
    switch mode {
    case .print(let envelope):
      try printRecord(delivery, envelope: envelope, on: connection)
    case .handler:
      if running.count < concurrency { start(delivery) } else { waiting.append(delivery) }
    }
  }

  private func printRecord(_ delivery: Delivery, envelope: Bool, on connection: AMQPConnection) throws {
    let started = Date()
    guard var record = try? Record(line: delivery.body) else {
      // Not a record: the queue's dead-letter arguments (set by --declare) send it to the dead-letter queue.
      diagnostics.error(
        "message \(Self.name(of: delivery)): the body is not a JSON object; rejected to the "
          + "dead-letter queue")
      try connection.reject(delivery.deliveryTag, requeue: false)
      summary.deadLettered += 1
      return
    }
    if envelope { record["amqp"] = .object(Self.envelope(of: delivery)) }
    do {
      try output.write(record)
    } catch is OutputClosed {
      outputClosed = true
      try giveBack(delivery, on: connection)
      return
    }
    try connection.ack(delivery.deliveryTag)
    summary.acknowledged += 1
    logOutcome(delivery, "printed and acked", started: started, exitCode: nil)
  }

  static func envelope(of delivery: Delivery) -> [String: JSONValue] {
    [
      "exchange": .string(delivery.exchange),
      "routing_key": .string(delivery.routingKey),
      "redelivered": .bool(delivery.redelivered),
      "headers": .object(delivery.properties.headers),
      "properties": .object(delivery.properties.jsonObject),
    ]
  }

  static func name(of delivery: Delivery) -> String {
    delivery.properties.messageID.map { "\"\($0)\"" } ?? "#\(delivery.deliveryTag)"
  }

  // MARK: Handlers

  private func startWaiting() throws {
    while running.count < concurrency, !waiting.isEmpty, !stopping {
      start(waiting.removeFirst())
    }
  }

  private func start(_ delivery: Delivery) {
    guard case .handler(let command, _, let onFailure) = mode else { return }
    let job = HandlerJob(
      delivery: delivery, command: command, queue: queue, timeout: settings.effectiveHandlerTimeout,
      stoppedForConsumerTimeout: settings.effectiveHandlerTimeout.map { $0 < settings.handlerTimeout ?? .infinity }
        ?? false,
      policy: settings.policy, onFailure: onFailure, diagnostics: diagnostics)
    running[delivery.deliveryTag] = RunningJob(delivery: delivery, process: job.process, started: job.started)
    let generation = self.generation
    Thread.detachNewThread { [weak self] in
      let outcome = job.run()
      self?.complete(
        Completion(
          generation: generation, delivery: delivery, started: job.started, decision: outcome.decision,
          exitCode: outcome.exitCode, errorText: outcome.errorText))
    }
  }

  private func complete(_ completion: Completion) {
    completionLock.withLock { completions.append(completion) }
  }

  private func takeCompletions() -> [Completion] {
    completionLock.withLock {
      defer { completions.removeAll() }
      return completions
    }
  }

  /// While reconnecting, finished handlers still need their bookkeeping (their messages come again).
  private func sleepWhileSettling(_ seconds: Double) {
    let end = Date().addingTimeInterval(seconds)
    repeat {
      for completion in takeCompletions() { discard(completion) }
      if ShutdownSignal.shared.isRequested { stopping = true }
      if stopping && running.isEmpty { return }
      Thread.sleep(forTimeInterval: 0.05)
    } while Date() < end
  }

  private func discard(_ completion: Completion) {
    running.removeValue(forKey: completion.delivery.deliveryTag)
    diagnostics.warning(
      "message \(Self.name(of: completion.delivery)): finished after its connection was lost; "
        + "the broker delivers it again")
  }

  // MARK: Settling

  private func settle(_ completion: Completion, on connection: AMQPConnection) throws {
    guard completion.generation == generation else {
      discard(completion)
      return
    }
    let delivery = completion.delivery
    running.removeValue(forKey: delivery.deliveryTag)
    switch completion.decision {
    case .acknowledge:
      try connection.ack(delivery.deliveryTag)
      summary.acknowledged += 1
      logOutcome(delivery, "acked", started: completion.started, exitCode: completion.exitCode)
    case .requeue:
      try giveBack(delivery, on: connection)
      logOutcome(delivery, "requeued (stopped at shutdown)", started: completion.started, exitCode: nil)
    case .retry(let attempt, let delay):
      let copy = FailurePolicy.retryMessage(
        of: delivery, retryQueue: settings.topology.retryQueue, attempt: attempt, delay: delay)
      try publishCopy(copy, settling: completion, on: connection)
    case .deadLetter(let attempt):
      let copy = FailurePolicy.deadLetterMessage(
        of: delivery, queue: queue, deadLetterQueue: settings.topology.deadLetterQueue, exitCode: completion.exitCode,
        error: completion.errorText, attempt: attempt)
      try publishCopy(copy, settling: completion, on: connection)
    }
  }

  private func publishCopy(_ copy: OutgoingMessage, settling completion: Completion, on connection: AMQPConnection)
    throws
  {
    var copy = copy
    let copyID = UUID().uuidString
    copy.properties.headers[Self.copyIDHeader] = .string(copyID)
    let tag = nextPublishTag
    nextPublishTag += 1
    settlements[tag] = Settlement(
      delivery: completion.delivery, started: completion.started, decision: completion.decision,
      exitCode: completion.exitCode, copyID: copyID)
    try connection.publish(copy, channel: Self.publishChannel)
  }

  private func confirm(tag: UInt64, multiple: Bool, acknowledged: Bool, on connection: AMQPConnection) throws {
    let tags = multiple ? settlements.keys.filter { $0 <= tag }.sorted() : [tag]
    for confirmed in tags {
      guard let settlement = settlements.removeValue(forKey: confirmed) else { continue }
      let delivery = settlement.delivery
      guard acknowledged, !settlement.returned else {
        // The copy is not safe on the broker: keep the original (requeued) rather than lose it.
        diagnostics.error(
          "message \(Self.name(of: delivery)): its \(settlement.returned ? "copy was unroutable" : "copy was nacked")"
            + "; requeued")
        try giveBack(delivery, on: connection)
        continue
      }
      try connection.ack(delivery.deliveryTag)
      switch settlement.decision {
      case .retry(let attempt, let delay):
        summary.retried += 1
        logOutcome(
          delivery, "retry \(attempt) of \(settings.policy.maxRetries) in \(DurationArgument.format(delay))",
          started: settlement.started, exitCode: settlement.exitCode)
      default:
        summary.deadLettered += 1
        logOutcome(
          delivery, "dead-lettered to \(settings.topology.deadLetterQueue)", started: settlement.started,
          exitCode: settlement.exitCode, level: .warning)
      }
    }
  }

  // MARK: Reporting

  /// The one line per message: what happened and how long it took (the seed's "processed in X s").
  private func logOutcome(
    _ delivery: Delivery, _ outcome: String, started: Date, exitCode: Int32?, level: Diagnostics.Level = .info
  ) {
    let seconds = Date().timeIntervalSince(started)
    var fields: [String: JSONValue] = [
      "outcome": .string(outcome), "duration_s": .double((seconds * 1000).rounded() / 1000),
      "routing_key": .string(delivery.routingKey), "redelivered": .bool(delivery.redelivered),
    ]
    if let id = delivery.properties.messageID { fields["message_id"] = .string(id) }
    if let exitCode { fields["exit_code"] = .integer(Int64(exitCode)) }
    let exitText = exitCode.map { $0 == 0 ? "" : " (exit \($0))" } ?? ""
    diagnostics.log(
      level, "message \(Self.name(of: delivery)) \(outcome) in \(String(format: "%.3f", seconds)) s\(exitText)",
      fields: fields)
  }

  private func writeHealth(_ state: String, force: Bool = false) {
    guard let healthFile else { return }
    var fields: [String: JSONValue] = [
      "state": .string(state), "queue": .string(queue), "received": .integer(Int64(summary.received)),
      "acked": .integer(Int64(summary.acknowledged)), "retried": .integer(Int64(summary.retried)),
      "dead_lettered": .integer(Int64(summary.deadLettered)), "requeued": .integer(Int64(summary.requeued)),
      "running": .integer(Int64(running.count)), "reconnects": .integer(Int64(summary.reconnects)),
    ]
    if let lastMessageAt { fields["last_message_at"] = .string(RFC3339.format(lastMessageAt)) }
    healthFile.update(fields, force: force)
  }
}
