import CliplineRecords
import CliplineSystem
import CliplineTelemetry
import Foundation

/// The consumer's event loop. One thread owns the connection (rabbitmq-c is single-threaded) and does every ack
/// and publish; it sleeps in poll(2) on the broker's socket and a wake-up pipe that finishing handlers and
/// signals write to, so a consumer whose handlers are busy uses no CPU. Channel 1 consumes; channel 2 publishes
/// retry and dead-letter copies in confirm mode (`CopySettlement`); handlers run in a `HandlerPool`.
public final class QueueConsumer {
  private let options: ConnectionOptions
  private let settings: ConsumerSettings
  private let mode: ConsumerMode
  private let output: RecordWriter
  private let report: ConsumerReport
  private let wakeUp: WakeUpPipe
  private let settlement: CopySettlement
  private let pool: HandlerPool?
  private let workDirectories = WorkDirectoryLedger()

  private var connection: AMQPConnection?
  private var generation = 0
  private var consumerTag: String?
  private var taken = 0
  private var stopping = false
  private var graceDeadline: Date?
  private var killedAtGraceEnd = false
  private var lastActivity = Date()
  private var outputClosed = false
  /// The broker blocks this connection (connection.blocked) until it says otherwise.
  private var blocked = false
  public var summary: ConsumerSummary { report.summary }
  /// The longest the loop sleeps with nothing to do: the health file is rewritten about once a second.
  static let longestSleep = 1.0

  public init(
    options: ConnectionOptions, settings: ConsumerSettings, mode: ConsumerMode, output: RecordWriter,
    diagnostics: Diagnostics, healthFile: HealthFile? = nil, telemetry: ConsumerTelemetry? = nil
  ) throws {
    self.options = options
    self.settings = settings
    self.mode = mode
    self.output = output
    let report = ConsumerReport(
      diagnostics: diagnostics, healthFile: healthFile, telemetry: telemetry, queue: settings.topology.queue)
    self.report = report
    let wakeUp = try WakeUpPipe()
    self.wakeUp = wakeUp
    settlement = CopySettlement(topology: settings.topology, policy: settings.policy, report: report)
    if case .handler(let command, let concurrency, let onFailure) = mode {
      pool = HandlerPool(
        command: command, concurrency: concurrency, onFailure: onFailure, queue: settings.topology.queue,
        settings: settings, diagnostics: diagnostics, wakeUp: wakeUp, workDirectories: workDirectories,
        telemetry: telemetry)
    } else {
      pool = nil
    }
  }

  private var queue: String { settings.topology.queue }
  private var diagnostics: Diagnostics { report.diagnostics }
  private var runningCount: Int { pool?.runningCount ?? 0 }

  // MARK: The loop

  /// Consumes until --count, --idle-timeout, SIGTERM/SIGINT or a closed stdout; returns the counts.
  @discardableResult
  public func run() throws -> ConsumerSummary {
    let wakeUp = self.wakeUp
    ShutdownSignal.shared.install { _ in wakeUp.signal() }
    if pool != nil {
      try ChildReaper.shared.start()
      for path in workDirectories.sweep() {
        diagnostics.info("removed \(path), left by a consumer that is gone")
      }
    }
    var reconnectAttempt = 0
    var brokerAwaySince: Date?
    defer {
      // A broker that blocks us reads nothing from us, a close included: leave without the handshake.
      if blocked { connection?.abandon() } else { connection?.close() }
      connection = nil
      report.writeHealth("stopped", running: runningCount, force: true)
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
        report.writeHealth("reconnecting", running: runningCount, force: true)
        diagnostics.warning("\(error); reconnecting in \(String(format: "%.1f", wait)) s")
        sleepWhileSettling(wait)
      }
    }
    if report.summary.rejectedBodies > 0 {
      throw MessagesNotRecords(count: report.summary.rejectedBodies, deadLetterQueue: settings.topology.deadLetterQueue)
    }
    return report.summary
  }

  private func isChannelFailure(_ error: AMQPError) -> Bool {
    // Past the first connect, a closed channel (consumer_timeout, a deleted queue) is recovered by reconnecting.
    if case .channelClosed = error.origin { return generation > 0 && !error.operation.hasPrefix("checking") }
    return false
  }

  /// Done when asked to stop (or the count is reached, or idle) and nothing is left running or unconfirmed.
  private var isFinished: Bool {
    let quiet = (pool?.isIdle ?? true) && settlement.isEmpty
    if outputClosed { return true }
    if stopping && quiet { return true }
    if let count = settings.count, taken >= count, quiet { return true }
    return false
  }

  private func connect() throws {
    let opened = try AMQPConnection(options)
    if settings.declare { try settings.topology.declare(on: opened) }
    if let binding = settings.binding {
      try opened.bindQueue(queue, exchange: binding.exchange, routingKey: binding.routingKey)
    }
    if case .handler = mode {
      try checkDeadLetterQueue(on: opened)
      try settings.topology.declareRetryQueue(on: opened)
    }
    // Dead-letter copies (a handler failed; a body that is not JSON; unreadable headers) go out confirmed.
    try opened.openChannel(CopySettlement.channel)
    try opened.enableConfirms(channel: CopySettlement.channel)
    let prefetch: Int
    switch mode {
    case .print: prefetch = min(settings.prefetch, settings.count.map { max(1, $0 - taken) } ?? .max)
    case .handler(_, let concurrency, _): prefetch = concurrency
    }
    try opened.setPrefetch(prefetch)
    consumerTag = try opened.consume(queue: queue)
    connection = opened
    blocked = false
    settlement.reset()
    let reconnected = generation > 0
    if reconnected {
      report.summary.reconnects += 1
      diagnostics.info("reconnected to \(options.endpoint); consuming \(queue) again")
    }
    generation += 1
    lastActivity = Date()
    report.connected(afterLoss: reconnected)
    report.writeHealth(running: runningCount, force: true)
  }

  /// Failures need somewhere to go before the first message is taken. A dead-letter queue that was named (--dlq,
  /// --declare) must exist (78); without one, as amqp-tools' consumer runs, a failed message is rejected, and that
  /// is said once.
  private func checkDeadLetterQueue(on connection: AMQPConnection) throws {
    let name = settings.topology.deadLetterQueue
    do {
      try connection.declareQueue(name, passive: true)
      settlement.withoutDeadLetterQueue = false
    } catch let error as AMQPError where error.origin == .channelClosed(replyCode: 404) {
      guard !settings.deadLetterQueueNamed else {
        throw AMQPError(
          operation: error.operation,
          message: "the dead-letter queue \"\(name)\" does not exist: create it, or pass --declare (and --dlq NAME)",
          origin: error.origin)
      }
      try connection.openChannel(1)  // the failed check closed it
      if !settlement.withoutDeadLetterQueue {
        diagnostics.warning(
          "\(name) does not exist and no --dlq was given: a message whose handler fails is rejected without "
            + "requeue, so it is dropped unless \(queue) has a dead-letter exchange of its own (amqp-tools' consumer "
            + "drops it too); create \(name), or pass --declare, to keep failed messages")
      }
      settlement.withoutDeadLetterQueue = true
    }
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
    report.disconnected()
    let notStarted = pool?.removeWaiting().count ?? 0
    if notStarted > 0 || !settlement.isEmpty {
      diagnostics.warning(
        "connection lost with \(notStarted) messages not started and \(settlement.count) not settled; "
          + "the broker delivers them again")
    }
    settlement.reset()
    generation += 1
  }

  /// One turn: settle finished handlers, start waiting ones, watch for stop conditions, then sleep until the
  /// broker sends something, a handler finishes, a signal comes or a deadline is due. True when the run is over.
  private func step() throws -> Bool {
    guard let connection else { return false }
    for completion in pool?.takeCompletions() ?? [] { try settle(completion, on: connection) }
    if !stopping { pool?.startWaiting(generation: generation) }
    try settlement.requeueDue(on: connection)
    if ShutdownSignal.shared.isRequested && !stopping { try beginStopping(connection, reason: "signal received") }
    if let graceDeadline, Date() >= graceDeadline, !killedAtGraceEnd {
      killedAtGraceEnd = true
      if runningCount > 0 {
        diagnostics.warning("grace period over: stopping \(runningCount) handlers; their messages are requeued")
      }
      pool?.stopAll()
    }
    if isFinished { return true }
    let busy = runningCount > 0 || !settlement.isEmpty
    var idleDeadline: Date?
    if let idle = settings.idleTimeout, !busy, pool?.isIdle ?? true {
      let deadline = lastActivity.addingTimeInterval(idle)
      if Date() >= deadline {
        if !stopping { try beginStopping(connection, reason: "idle for \(DurationArgument.format(idle))") }
        if isFinished { return true }
      } else {
        idleDeadline = deadline
      }
    }
    report.telemetry?.lookAtDepths(on: connection, diagnostics: diagnostics)
    report.writeHealth(running: runningCount, oldestStart: pool?.oldestStart)
    let wakeAt = [idleDeadline, killedAtGraceEnd ? nil : graceDeadline, settlement.nextDue].compactMap { $0 }.min()
    let sleep = min(Self.longestSleep, max(0, wakeAt?.timeIntervalSinceNow ?? .infinity))
    guard let event = try connection.nextEvent(timeout: sleep, wakeUp: wakeUp) else { return false }
    switch event {
    case .delivery(let delivery):
      try receive(delivery, on: connection)
    case .confirm(let channel, let tag, let multiple, let acknowledged):
      guard channel == CopySettlement.channel else { return false }
      try settlement.confirm(tag: tag, multiple: multiple, acknowledged: acknowledged, on: connection)
    case .returned(let returned):
      settlement.returned(returned)
    case .consumerCancelled(let tag):
      guard tag == consumerTag, !stopping else { return false }
      // The queue was deleted (or moved): nothing comes any more. Reconnect, and subscribe again once it exists.
      throw AMQPError(
        operation: "consuming from queue \"\(queue)\"",
        message: "the broker cancelled our subscription (was the queue deleted?); subscribing again once it exists",
        origin: .channelClosed(replyCode: 404))
    case .blocked(let reason):
      blocked = true
      diagnostics.warning("the broker blocks publishing (\(reason)): retry and dead-letter copies wait until it clears")
    case .unblocked:
      blocked = false
      diagnostics.info("the broker takes messages again")
    }
    return isFinished
  }

  private func beginStopping(_ connection: AMQPConnection, reason: String) throws {
    stopping = true
    report.stopping = true
    graceDeadline = Date().addingTimeInterval(settings.grace)
    if let consumerTag { try connection.cancel(consumerTag: consumerTag) }
    consumerTag = nil
    for delivery in pool?.removeWaiting() ?? [] { try settlement.giveBack(delivery, on: connection) }
    if runningCount == 0 {
      diagnostics.debug("stopping: \(reason)")
    } else {
      diagnostics.info(
        "stopping (\(reason)): waiting up to \(DurationArgument.format(settings.grace)) for \(runningCount) handlers")
    }
  }

  // MARK: Deliveries

  private func receive(_ delivery: Delivery, on connection: AMQPConnection) throws {
    var delivery = delivery
    delivery.trace = SpanPlace(continuing: TraceContext(headers: delivery.properties.headers))
    lastActivity = Date()
    if stopping || outputClosed || (settings.count.map { taken >= $0 } ?? false) {
      try settlement.giveBack(delivery, on: connection)  // sent before our cancel took effect, or beyond --count
      return
    }
    taken += 1
    report.summary.received += 1
    report.lastMessageAt = Date()
    if let problem = delivery.decodingProblem {
      // Never retried for ever: what could be read goes to the dead-letter queue with the reason.
      try deadLetterUnreadable(delivery, problem, on: connection)
      return
    }
    switch mode {
    case .print(let envelope):
      try printRecord(delivery, envelope: envelope, on: connection)
    case .handler:
      pool?.take(delivery, generation: generation)
    }
  }

  private func deadLetterUnreadable(_ delivery: Delivery, _ problem: String, on connection: AMQPConnection) throws {
    diagnostics.error("message \(ConsumerReport.name(of: delivery)): \(problem); dead-lettered without running it")
    try settlement.settle(
      delivery, decision: .deadLetter(attempt: FailurePolicy.attempt(of: delivery.properties.headers)),
      exitCode: ExitStatus.dataError.rawValue, errorText: problem, started: Date(), on: connection)
  }

  private func printRecord(_ delivery: Delivery, envelope: Bool, on connection: AMQPConnection) throws {
    let started = Date()
    var record: Record
    do {
      record = try Record(line: delivery.body)
    } catch {
      report.summary.rejectedBodies += 1
      try deadLetterUnreadable(delivery, "the body is not a JSON object: \(describe(error))", on: connection)
      return
    }
    if envelope { record["amqp"] = .object(Self.envelope(of: delivery)) }
    do {
      try output.write(record)
    } catch is OutputClosed {
      outputClosed = true
      try settlement.giveBack(delivery, on: connection)
      return
    }
    try connection.ack(delivery.deliveryTag)
    report.summary.acknowledged += 1
    report.outcome(delivery, "printed and acked", kind: .acked, started: started, exitCode: nil)
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

  // MARK: Handlers

  private func settle(_ completion: HandlerPool.Completion, on connection: AMQPConnection) throws {
    guard completion.generation == generation else {
      discard(completion)
      return
    }
    if completion.decision == .postpone, let pool {
      // Nothing else of ours runs, and still none can start: waiting will not help; the broker keeps the messages.
      if pool.runningCount == 0 { throw HandlersCannotStart(reason: completion.errorText) }
      let before = pool.limit
      if pool.lowerLimit() < before {
        diagnostics.warning("running at most \(pool.limit) handlers at once from now on (--jobs \(pool.concurrency))")
      }
    }
    try settlement.settle(
      completion.delivery, decision: completion.decision, exitCode: completion.exitCode,
      errorText: completion.errorText, started: completion.started, on: connection)
  }

  /// While reconnecting, finished handlers still need their bookkeeping (their messages come again).
  private func sleepWhileSettling(_ seconds: Double) {
    let end = Date().addingTimeInterval(seconds)
    repeat {
      for completion in pool?.takeCompletions() ?? [] { discard(completion) }
      if ShutdownSignal.shared.isRequested { stopping = true }
      if stopping && runningCount == 0 { return }
      wakeUp.wait(seconds: max(0, end.timeIntervalSinceNow))
    } while Date() < end
  }

  private func discard(_ completion: HandlerPool.Completion) {
    diagnostics.warning(
      "message \(ConsumerReport.name(of: completion.delivery)): finished after its connection was lost; "
        + "the broker delivers it again")
  }
}
