import CliplineSystem

/// Why the broker did not take a message.
public enum PublishFailure: Error, CustomStringConvertible, ExitStatusProviding {
  /// `mandatory` and no queue matched: the broker handed it back (312 NO_ROUTE).
  case returned(code: UInt16, text: String, exchange: String, routingKey: String)
  /// The broker nacked it (a queue could not store it).
  case nacked

  public var description: String {
    switch self {
    case .returned(let code, let text, let exchange, let routingKey):
      let target = exchange.isEmpty ? "queue \"\(routingKey)\"" : "exchange \"\(exchange)\" with key \"\(routingKey)\""
      return "unroutable: the broker returned the message sent to \(target) (\(code) \(text)); "
        + "no queue is bound there — declare it (--declare) or check the name"
    case .nacked:
      return "the broker refused the message (nack); it was not stored"
    }
  }

  public var exitStatus: ExitStatus {
    switch self {
    case .returned: return .unavailable
    case .nacked: return .temporaryFailure
    }
  }
}

/// The broker stayed away longer than the reconnect window.
public struct BrokerGone: Error, CustomStringConvertible, ExitStatusProviding {
  public let confirmed: Int
  public let unconfirmed: Int
  public let underlying: AMQPError

  public var description: String {
    "the broker is gone (\(underlying)): \(confirmed) messages were confirmed, \(unconfirmed) were not "
      + "(publish those again)"
  }

  public var exitStatus: ExitStatus { .unavailable }
}

/// The broker kept a publisher waiting (blocked by an alarm, or not confirming) past `--timeout`: worth retrying.
public struct BrokerWaitTooLong: Error, CustomStringConvertible, ExitStatusProviding {
  public let waitingFor: String
  public let limit: Double
  public let tally: String

  public var description: String {
    "gave up after \(DurationArgument.format(limit)) (--timeout) while \(waitingFor): \(tally)"
  }
  public var exitStatus: ExitStatus { .temporaryFailure }
}
