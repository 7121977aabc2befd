import CliplineRecords
import CliplineSystem

/// A work queue as clipline uses it: durable, with a dead-letter queue that takes what failed or expired,
/// and (for `amqp-consume`'s exit-75 retries) a delay queue whose expired messages flow back to the work queue.
public struct QueueTopology: Equatable, Sendable {
  public var queue: String
  public var deadLetterQueue: String
  public var quorum: Bool
  public var messageTTL: Double?

  public init(queue: String, deadLetterQueue: String, quorum: Bool = false, messageTTL: Double? = nil) {
    self.queue = queue
    self.deadLetterQueue = deadLetterQueue
    self.quorum = quorum
    self.messageTTL = messageTTL
  }

  public static func defaultDeadLetterQueue(for queue: String) -> String { queue + ".dlq" }

  /// Where a message waits before its next attempt.
  public var retryQueue: String { queue + ".retry" }

  /// The work queue's arguments: only what was asked for. amqp-consume dead-letters by publishing a copy itself,
  /// so the queue needs no x-dead-letter-exchange for that; only with a TTL does it get one, so that expired
  /// messages reach the dead-letter queue instead of vanishing. A plain declare (pika's
  /// `queue_declare(q, durable=True)`) of a queue declared without --message-ttl or --quorum succeeds.
  public var queueArguments: [String: JSONValue] {
    var arguments: [String: JSONValue] = [:]
    if quorum { arguments["x-queue-type"] = "quorum" }
    if let messageTTL {
      arguments["x-message-ttl"] = .integer(Int64(messageTTL * 1000))
      arguments["x-dead-letter-exchange"] = ""
      arguments["x-dead-letter-routing-key"] = .string(deadLetterQueue)
    }
    return arguments
  }

  public var deadLetterQueueArguments: [String: JSONValue] { quorum ? ["x-queue-type": "quorum"] : [:] }

  /// The retry queue dead-letters each message back to the work queue once its per-message expiration passes.
  /// It stays a classic queue whatever the work queue is: per-message TTL is what it is for, and a message
  /// waits there only for its delay.
  public var retryQueueArguments: [String: JSONValue] {
    ["x-dead-letter-exchange": "", "x-dead-letter-routing-key": .string(queue)]
  }

  /// The dead-letter queue, then the work queue: one that exists (declared by us, the Python services or ops) is
  /// used as it is; only a missing one is declared. Where an existing queue must have an argument we were asked
  /// for (--message-ttl, --quorum), the broker compares it, and a queue without it is explained (exit 78).
  public func declare(on connection: AMQPConnection) throws {
    try ensure(deadLetterQueue, arguments: deadLetterQueueArguments, on: connection)
    try ensure(queue, arguments: queueArguments, on: connection)
  }

  private func ensure(_ name: String, arguments: [String: JSONValue], on connection: AMQPConnection) throws {
    do {
      try connection.declareQueue(name, passive: true)
      guard !arguments.isEmpty else { return }  // it exists, and nothing was asked of it: used as it is
    } catch let error as AMQPError where error.origin == .channelClosed(replyCode: 404) {
      try connection.openChannel(1)  // the broker closed the channel to say "not found"
    }
    try explainingMismatch(name, arguments) { try connection.declareQueue(name, arguments: arguments) }
  }

  /// `--dry-run --declare`: `dry run: would declare, where missing, the dead-letter queue "Q.dlq" and the queue "Q"
  /// (durable; x-queue-type=quorum)`.
  public var wouldDeclare: String {
    let arguments = queueArguments.keys.sorted().map { "\($0)=\(queueArguments[$0]!.textValue)" }
    return "dry run: would declare, where missing, the dead-letter queue \"\(deadLetterQueue)\" and the queue "
      + "\"\(queue)\" (\((["durable"] + arguments).joined(separator: "; ")))"
  }

  public func declareRetryQueue(on connection: AMQPConnection) throws {
    try explainingMismatch(retryQueue, retryQueueArguments) {
      try connection.declareQueue(retryQueue, arguments: retryQueueArguments)
    }
  }

  private func explainingMismatch(_ name: String, _ arguments: [String: JSONValue], _ body: () throws -> Void) throws {
    do {
      try body()
    } catch let error as AMQPError where error.origin == .channelClosed(replyCode: 406) {
      let asked = arguments.keys.sorted().map { "\($0)=\(arguments[$0]!.textValue)" }.joined(separator: ", ")
      throw AMQPError(
        operation: error.operation,
        message: "the queue \"\(name)\" exists without the arguments this needs (\(asked)), declared by someone "
          + "else; add them there (a policy, rabbitmqctl set_policy) or leave out the flag that asks for them "
          + "(broker: \(error.message))",
        origin: error.origin)
    }
  }
}
