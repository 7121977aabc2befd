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
  /// Bind the queue to this exchange with this routing key before consuming (amqp-tools' `-e`/`-r`).
  public var binding: (exchange: String, routingKey: String)?
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
  /// The dead-letter queue was asked for (--dlq or --declare), so it must exist; else, when it does not, failed
  /// messages are rejected as amqp-tools' consumer would have them.
  public var deadLetterQueueNamed = true

  public init(topology: QueueTopology) { self.topology = topology }

  /// The time a handler gets: --timeout, but never past (consumer_timeout − a margin).
  public var effectiveHandlerTimeout: Double? {
    guard consumerTimeout > 0 else { return handlerTimeout }
    let guardLimit = consumerTimeout - min(60, consumerTimeout * 0.1)
    return min(handlerTimeout ?? .infinity, guardLimit)
  }
}

/// Not even one handler can start, with none of ours running (out of descriptors, memory or processes): exit 75,
/// the messages left to the broker, which delivers them again.
public struct HandlersCannotStart: Error, CustomStringConvertible, ExitStatusProviding {
  public let reason: String
  public var description: String { "not even one handler can start (\(reason)); the messages stay on the queue" }
  public var exitStatus: ExitStatus { .temporaryFailure }
}

/// Print mode: some messages were not JSON objects (they went to the dead-letter queue): exit 65.
public struct MessagesNotRecords: Error, CustomStringConvertible, ExitStatusProviding {
  public let count: Int
  public let deadLetterQueue: String
  public var description: String {
    "\(count) message\(count == 1 ? " was" : "s were") not a JSON object and went to \(deadLetterQueue)"
  }
  public var exitStatus: ExitStatus { .dataError }
}
