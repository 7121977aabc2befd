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

  /// The work queue's arguments: rejected and expired messages go to the dead-letter queue via the default exchange.
  public var queueArguments: [String: JSONValue] {
    var arguments: [String: JSONValue] = [
      "x-dead-letter-exchange": "",
      "x-dead-letter-routing-key": .string(deadLetterQueue),
    ]
    if quorum { arguments["x-queue-type"] = "quorum" }
    if let messageTTL { arguments["x-message-ttl"] = .integer(Int64(messageTTL * 1000)) }
    return arguments
  }

  /// The retry queue dead-letters each message back to the work queue once its per-message expiration passes.
  /// It stays a classic queue whatever the work queue is: per-message TTL is what it is for, and a message
  /// waits there only for its delay.
  public var retryQueueArguments: [String: JSONValue] {
    ["x-dead-letter-exchange": "", "x-dead-letter-routing-key": .string(queue)]
  }

  /// Declares the dead-letter queue, then the work queue. Same arguments again: nothing happens; different
  /// arguments: the broker refuses (406 PRECONDITION_FAILED), which we explain.
  public func declare(on connection: AMQPConnection) throws {
    try explainingMismatch {
      try connection.declareQueue(deadLetterQueue, arguments: quorum ? ["x-queue-type": "quorum"] : [:])
      try connection.declareQueue(queue, arguments: queueArguments)
    }
  }

  public func declareRetryQueue(on connection: AMQPConnection) throws {
    try explainingMismatch { try connection.declareQueue(retryQueue, arguments: retryQueueArguments) }
  }

  private func explainingMismatch(_ body: () throws -> Void) throws {
    do {
      try body()
    } catch let error as AMQPError where error.origin == .channelClosed(replyCode: 406) {
      throw AMQPError(
        operation: error.operation,
        message: error.message + " — the queue exists with other arguments; delete it or declare it the same way",
        origin: error.origin)
    }
  }
}
