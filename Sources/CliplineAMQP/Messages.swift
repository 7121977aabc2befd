import CliplineRecords
import CliplineSystem
import CliplineTelemetry
import Foundation

/// The basic properties of a message: all fourteen of AMQP 0-9-1, so a copy keeps whatever the original carried.
public struct MessageProperties: Equatable, Sendable {
  public var contentType: String?
  public var contentEncoding: String?
  /// The headers as they travel, every AMQP type kept.
  public var headerTable = FieldTable()
  /// Delivery mode 2: the broker writes the message to disk before confirming it.
  public var persistent = false
  public var messageID: String?
  public var correlationID: String?
  public var replyTo: String?
  public var type: String?
  public var appID: String?
  /// Per-message TTL in milliseconds, as AMQP spells it (a decimal string).
  public var expiration: String?
  /// Seconds since 1970 (AMQP timestamps have no fraction).
  public var timestamp: Date?
  /// 0–9 (a priority queue's x-max-priority bounds it).
  public var priority: UInt8?
  /// The user the publisher authenticated as (RabbitMQ checks it against the connection's).
  public var userID: String?
  /// Deprecated in AMQP 0-9-1, but a publisher may have set it.
  public var clusterID: String?

  public init() {}

  /// The headers as JSON (see `FieldValue.json`); change them through `headerTable`.
  public var headers: [String: JSONValue] { headerTable.jsonObject }

  /// The properties as JSON for `--envelope` (snake_case, absent ones left out).
  public var jsonObject: [String: JSONValue] {
    var object: [String: JSONValue] = [:]
    if let contentType { object["content_type"] = .string(contentType) }
    if let contentEncoding { object["content_encoding"] = .string(contentEncoding) }
    object["delivery_mode"] = .integer(persistent ? 2 : 1)
    if let messageID { object["message_id"] = .string(messageID) }
    if let correlationID { object["correlation_id"] = .string(correlationID) }
    if let replyTo { object["reply_to"] = .string(replyTo) }
    if let type { object["type"] = .string(type) }
    if let appID { object["app_id"] = .string(appID) }
    if let expiration { object["expiration"] = .string(expiration) }
    if let timestamp { object["timestamp"] = .string(RFC3339.format(timestamp)) }
    if let priority { object["priority"] = .integer(Int64(priority)) }
    if let userID { object["user_id"] = .string(userID) }
    if let clusterID { object["cluster_id"] = .string(clusterID) }
    return object
  }
}

/// A message on its way to the broker.
public struct OutgoingMessage: Sendable {
  public var exchange: String
  public var routingKey: String
  /// Ask the broker to return the message when no queue takes it, instead of dropping it.
  public var mandatory: Bool
  public var properties: MessageProperties
  public var body: [UInt8]

  public init(
    exchange: String = "", routingKey: String, mandatory: Bool = true, properties: MessageProperties,
    body: [UInt8]
  ) {
    self.exchange = exchange
    self.routingKey = routingKey
    self.mandatory = mandatory
    self.properties = properties
    self.body = body
  }
}

/// A message the broker delivered to one of our consumers.
public struct Delivery: Sendable {
  public let channel: UInt16
  public let deliveryTag: UInt64
  public let redelivered: Bool
  public let exchange: String
  public let routingKey: String
  public let consumerTag: String
  public let properties: MessageProperties
  public let body: [UInt8]
  /// Why the properties could not be read in full (the message is dead-lettered with what could be read).
  public var decodingProblem: String? = nil
  /// The consumer's span for this message: a child of the `traceparent` it came with, or a new trace's root.
  public var trace: SpanPlace? = nil
}

/// A `mandatory` message the broker could not route, handed back.
public struct ReturnedMessage: Sendable {
  public let replyCode: UInt16
  public let replyText: String
  public let exchange: String
  public let routingKey: String
  public let properties: MessageProperties
  public let body: [UInt8]
}

/// What the connection can bring while we wait on it.
public enum AMQPEvent: Sendable {
  case delivery(Delivery)
  /// Publisher confirm: `acknowledged` false is a nack (the broker could not take the message).
  case confirm(channel: UInt16, deliveryTag: UInt64, multiple: Bool, acknowledged: Bool)
  case returned(ReturnedMessage)
  /// The broker cancelled one of our consumers (its queue was deleted, or it failed over): nothing more comes to it.
  case consumerCancelled(consumerTag: String)
  /// connection.blocked: the broker takes no more messages from us until `unblocked` (a memory or disk alarm).
  case blocked(reason: String)
  case unblocked
}
