import CliplineRecords
import CliplineSystem
import Foundation

/// What happens to a message after its handler ran: the ARCHITECTURE's exit-code contract in one place.
/// 0 → ack; 75 or 69 (or a timeout) → retried after a delay, at most `maxRetries` times; anything else, or
/// retries used up → a copy on the dead-letter queue with the error in its headers, then ack.
/// 69 is retried because a service the handler could not reach (storage restarting, a DNS hiccup) says nothing
/// about the message: dead-lettering every job of an outage would leave the operator a queue to replay.
public enum HandlingDecision: Equatable, Sendable {
  case acknowledge
  case retry(attempt: Int, delay: Double)
  case deadLetter(attempt: Int)
  /// Not handled (we stopped it at shutdown): back to the queue for another consumer, untouched.
  case requeue
  /// Not run: the handler could not start for want of descriptors, memory or processes on our side, which says
  /// nothing about the message. Back to the queue after a delay, not counted as an attempt; fewer run at once.
  case postpone
}

public struct FailurePolicy: Sendable {
  /// Header that counts attempts across retries (the retry copy carries it).
  public static let attemptsHeader = "x-clipline-attempts"
  /// Header that says why a message was dead-lettered (secrets masked).
  public static let errorHeader = "x-clipline-error"

  /// The handler exits that are worth another try: 75 (temporary failure) and 69 (a service unreachable).
  public static let retriedExitCodes: Set<Int32> = [
    ExitStatus.temporaryFailure.rawValue, ExitStatus.unavailable.rawValue,
  ]

  public var maxRetries: Int
  public var retryDelay: Double
  public var maximumRetryDelay: Double

  public init(maxRetries: Int = 3, retryDelay: Double = 30, maximumRetryDelay: Double = 3600) {
    self.maxRetries = maxRetries
    self.retryDelay = retryDelay
    self.maximumRetryDelay = maximumRetryDelay
  }

  /// The attempt a delivery is: one more than the attempts its headers record.
  public static func attempt(of headers: [String: JSONValue]) -> Int {
    Int(headers[attemptsHeader]?.integerValue ?? 0) + 1
  }

  public func decide(exitCode: Int32, timedOut: Bool, stoppedByUs: Bool, attempt: Int) -> HandlingDecision {
    if stoppedByUs { return .requeue }
    if exitCode == 0 && !timedOut { return .acknowledge }
    if Self.retriedExitCodes.contains(exitCode) || timedOut {
      if attempt <= maxRetries {
        // Doubling delays: attempt 1 waits retryDelay, attempt 2 twice that, …
        return .retry(attempt: attempt, delay: min(maximumRetryDelay, retryDelay * pow(2, Double(attempt - 1))))
      }
    }
    return .deadLetter(attempt: attempt)
  }

  /// The copy that goes to the dead-letter queue: the original body and properties, the original headers,
  /// and the error context. Secrets in the error text are masked (`SecretRedaction.text`).
  public static func deadLetterMessage(
    of delivery: Delivery, queue: String, deadLetterQueue: String, exitCode: Int32, error: String, attempt: Int,
    at time: Date = Date()
  ) -> OutgoingMessage {
    var properties = delivery.properties
    properties.persistent = true
    properties.expiration = nil
    properties.headerTable.set(attemptsHeader, .integer(Int64(attempt)))
    properties.headerTable.set(errorHeader, .string(SecretRedaction.text(error)))
    properties.headerTable.set("x-clipline-exit-code", .integer(Int64(exitCode)))
    properties.headerTable.set("x-clipline-queue", .string(queue))
    properties.headerTable.set("x-clipline-routing-key", .string(delivery.routingKey))
    // An AMQP timestamp (seconds), as the broker's own x-death times are: typed, so a consumer needs no parser.
    properties.headerTable["x-clipline-failed-at"] = .timestamp(UInt64(max(0, time.timeIntervalSince1970)))
    return OutgoingMessage(routingKey: deadLetterQueue, mandatory: true, properties: properties, body: delivery.body)
  }

  /// The copy that waits in the retry queue; when its expiration passes the broker moves it back to the work queue.
  public static func retryMessage(of delivery: Delivery, retryQueue: String, attempt: Int, delay: Double)
    -> OutgoingMessage
  {
    var properties = delivery.properties
    properties.persistent = true
    properties.expiration = String(Int64((delay * 1000).rounded()))
    properties.headerTable.set(attemptsHeader, .integer(Int64(attempt)))
    return OutgoingMessage(routingKey: retryQueue, mandatory: true, properties: properties, body: delivery.body)
  }
}
