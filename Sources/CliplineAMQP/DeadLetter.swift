import CliplineRecords
import CliplineSystem
import Foundation

/// A message on a dead-letter queue as amqp-consume left it: the original body and properties, and the
/// x-clipline-* headers that say where it came from and why it failed.
public struct DeadLetter: Sendable {
  /// The headers amqp-consume adds when it dead-letters a message; a replay takes them all off again.
  public static let contextHeaders = [
    FailurePolicy.attemptsHeader, FailurePolicy.errorHeader, "x-clipline-exit-code", "x-clipline-queue",
    "x-clipline-routing-key", "x-clipline-failed-at", CopySettlement.copyIDHeader,
  ]

  /// 1 for the message at the head of the queue when it was read.
  public let position: Int
  public let delivery: Delivery

  public init(position: Int, delivery: Delivery) {
    self.position = position
    self.delivery = delivery
  }

  private var headers: [String: JSONValue] { delivery.properties.headers }
  public var messageID: String? { delivery.properties.messageID }
  public var error: String? { headers[FailurePolicy.errorHeader]?.stringValue }
  public var exitCode: Int64? { headers["x-clipline-exit-code"]?.integerValue }
  public var attempts: Int64? { headers[FailurePolicy.attemptsHeader]?.integerValue }
  public var failedAt: String? { headers["x-clipline-failed-at"]?.stringValue }
  /// The queue it failed on: where a replay puts it back.
  public var originalQueue: String? { headers["x-clipline-queue"]?.stringValue }

  /// One JSON line: the context fields, the headers, and the body (as JSON when it is, else as text).
  public var record: Record {
    var fields: [String: JSONValue] = ["position": .integer(Int64(position))]
    if let messageID { fields["message_id"] = .string(messageID) }
    if let originalQueue { fields["queue"] = .string(originalQueue) }
    if let exitCode { fields["exit_code"] = .integer(exitCode) }
    if let attempts { fields["attempts"] = .integer(attempts) }
    if let failedAt { fields["failed_time"] = .string(failedAt) }
    if let error { fields["error"] = .string(error) }
    fields["redelivered"] = .bool(delivery.redelivered)
    fields["headers"] = .object(headers)
    fields["body_bytes"] = .integer(Int64(delivery.body.count))
    if let parsed = try? Record(line: delivery.body) {
      fields["body"] = .object(parsed.fields)
    } else {
      fields["body"] = .string(String(decoding: delivery.body, as: UTF8.self))
    }
    return Record(fields)
  }

  /// The copy a replay publishes: the original body and properties, back on `queue`, with the failure context
  /// taken off, so the retry count starts again at attempt 1.
  public func replayMessage(to queue: String) -> OutgoingMessage {
    var properties = delivery.properties
    for header in Self.contextHeaders { properties.headerTable[header] = nil }
    properties.persistent = true
    properties.expiration = nil
    return OutgoingMessage(routingKey: queue, mandatory: true, properties: properties, body: delivery.body)
  }
}

/// Which dead letters to take: by position, by message id, or by NAME=VALUE on a header or a top-level body field.
public struct DeadLetterSelection: Sendable {
  public var positions: Set<Int> = []
  public var messageIDs: Set<String> = []
  public var matches: [(name: String, value: String)] = []
  public var all = false

  public init() {}

  public var isEmpty: Bool { !all && positions.isEmpty && messageIDs.isEmpty && matches.isEmpty }

  /// True when any given criterion picks the letter (each --where must hold, as in a filter).
  public func selects(_ letter: DeadLetter) -> Bool {
    if all { return true }
    if positions.contains(letter.position) { return true }
    if let id = letter.messageID, messageIDs.contains(id) { return true }
    guard !matches.isEmpty else { return false }
    let headers = letter.delivery.properties.headers
    let body = try? Record(line: letter.delivery.body)
    return matches.allSatisfy { name, value in
      let found = headers[name] ?? body?.value(at: name)
      return found.map { $0.textValue == value } ?? false
    }
  }
}
