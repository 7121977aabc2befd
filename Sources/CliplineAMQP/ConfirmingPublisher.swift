import CliplineRecords
import CliplineSystem
import Foundation

/// Publishes with publisher confirms, pipelined: up to `window` messages are on the wire unconfirmed at once.
/// Every message ends in exactly one callback: `onConfirmed` once the broker acked it, or `onFailed` when it was
/// nacked or returned as unroutable. When the connection drops, it reconnects with backoff and republishes
/// every unconfirmed message (at-least-once); if the broker stays away past `reconnectFor`, it throws `BrokerGone`.
public final class ConfirmingPublisher<Context> {
  public typealias Connector = () throws -> AMQPConnection

  private struct Pending {
    let message: OutgoingMessage
    let context: Context
    var returned: ReturnedMessage?
  }

  private let connector: Connector
  private let window: Int
  private let reconnectFor: Double
  private let diagnostics: Diagnostics?
  private var connection: AMQPConnection?
  /// Unconfirmed messages by delivery tag, on the current connection.
  private var pending: [UInt64: Pending] = [:]
  private var nextTag: UInt64 = 1
  private var tagsByMessageID: [String: [UInt64]] = [:]

  public var onConfirmed: (Context) throws -> Void = { _ in }
  public var onFailed: (Context, PublishFailure) -> Void = { _, _ in }
  public private(set) var confirmedCount = 0
  public private(set) var failedCount = 0
  public private(set) var reconnectCount = 0
  public var unconfirmedCount: Int { pending.count }

  /// `connector` opens a connection ready for use (topology declared); the publisher turns on confirms.
  public init(
    window: Int = 1024, reconnectFor: Double = 60, diagnostics: Diagnostics? = nil,
    connector: @escaping Connector
  ) {
    self.window = max(1, window)
    self.reconnectFor = reconnectFor
    self.diagnostics = diagnostics
    self.connector = connector
  }

  deinit { connection?.close() }

  /// Sends one message; returns once it is on the wire and fewer than `window` messages await confirmation.
  public func publish(_ message: OutgoingMessage, context: Context) throws {
    var sent = false
    try withReconnect {
      let connection = try connected()
      if !sent {
        // Once in `pending`, a lost connection republishes it: it must not be sent a second time here.
        sent = true
        try send(Pending(message: message, context: context, returned: nil), on: connection)
      }
      // Read confirms as they come (without blocking) so callbacks flow while stdin is still being read.
      while let event = try connection.nextEvent(timeout: 0) { try handle(event) }
      while pending.count >= window {
        if let event = try connection.nextEvent(timeout: 1) { try handle(event) }
      }
    }
  }

  /// Opens the connection (and declares, turns on confirms) now, instead of on the first message: a pipe's last
  /// stage then connects while the stages before it work, and the first record does not wait for the handshake.
  public func connect() throws {
    try withReconnect { _ = try connected() }
  }

  /// Reads confirms for up to `timeout` while the caller has nothing to send (stdin idle), so `--tee` output and
  /// failures do not wait for the next input line. Returns false at once when nothing awaits confirmation.
  public func awaitConfirms(timeout: Double) throws -> Bool {
    guard !pending.isEmpty else { return false }
    try withReconnect {
      let connection = try connected()
      if let event = try connection.nextEvent(timeout: timeout) { try handle(event) }
      while let event = try connection.nextEvent(timeout: 0) { try handle(event) }
    }
    return true
  }

  /// Waits until every message published so far is confirmed, nacked or returned.
  public func finish() throws {
    try withReconnect {
      let connection = try connected()
      while !pending.isEmpty {
        if let event = try connection.nextEvent(timeout: 1) { try handle(event) }
      }
    }
  }

  public func close() {
    connection?.close()
    connection = nil
  }

  private func connected() throws -> AMQPConnection {
    if let connection { return connection }
    let fresh = try connector()
    try fresh.enableConfirms()
    connection = fresh
    nextTag = 1
    return fresh
  }

  private func send(_ item: Pending, on connection: AMQPConnection) throws {
    let tag = nextTag
    nextTag += 1
    pending[tag] = item
    if let id = item.message.properties.messageID { tagsByMessageID[id, default: []].append(tag) }
    try connection.publish(item.message)
  }

  private func handle(_ event: AMQPEvent) throws {
    switch event {
    case .returned(let returned):
      // A return comes before the confirm of the same message; the message id tells which one it was.
      guard let id = returned.properties.messageID, let tag = tagsByMessageID[id]?.first else { return }
      pending[tag]?.returned = returned
    case .confirm(_, let tag, let multiple, let acknowledged):
      let tags = multiple ? pending.keys.filter { $0 <= tag }.sorted() : [tag]
      for confirmed in tags {
        guard let item = pending.removeValue(forKey: confirmed) else { continue }
        if let id = item.message.properties.messageID {
          tagsByMessageID[id]?.removeFirst()
          if tagsByMessageID[id]?.isEmpty == true { tagsByMessageID[id] = nil }
        }
        if let returned = item.returned {
          failedCount += 1
          onFailed(
            item.context,
            .returned(
              code: returned.replyCode, text: returned.replyText,
              exchange: returned.exchange, routingKey: returned.routingKey))
        } else if !acknowledged {
          failedCount += 1
          onFailed(item.context, .nacked)
        } else {
          confirmedCount += 1
          try onConfirmed(item.context)
        }
      }
    case .delivery:
      return  // a publisher has no consumers
    }
  }

  /// Runs `body`; when the connection is lost, reconnects and republishes what was unconfirmed, then runs it again.
  private func withReconnect(_ body: () throws -> Void) throws {
    var deadline: Date?
    var attempt = 0
    while true {
      do {
        try body()
        return
      } catch let error as AMQPError where error.isConnectionLost {
        connection = nil
        let started = deadline ?? Date().addingTimeInterval(reconnectFor)
        deadline = started
        attempt += 1
        let policy = RetryPolicy(attempts: Int.max, baseDelay: 0.2, maximumDelay: 5)
        let wait = policy.delay(beforeRetry: attempt)
        guard Date().addingTimeInterval(wait) < started, !ShutdownSignal.shared.isRequested else {
          throw BrokerGone(confirmed: confirmedCount, unconfirmed: pending.count, underlying: error)
        }
        diagnostics?.warning(
          "\(error); reconnecting in \(String(format: "%.1f", wait)) s (\(pending.count) messages unconfirmed)")
        if ShutdownSignal.shared.sleep(wait) {
          throw BrokerGone(confirmed: confirmedCount, unconfirmed: pending.count, underlying: error)
        }
        do {
          try republish()
        } catch let again as AMQPError where again.isConnectionLost {
          continue
        }
      }
    }
  }

  /// After a reconnect: everything unconfirmed goes out again, in its original order, under new tags.
  private func republish() throws {
    let unconfirmed = pending.sorted { $0.key < $1.key }.map(\.value)
    pending.removeAll()
    tagsByMessageID.removeAll()
    connection = nil
    let fresh: AMQPConnection
    do {
      fresh = try connected()
    } catch {
      // Keep them for the next attempt.
      for (index, item) in unconfirmed.enumerated() { pending[UInt64(index + 1)] = item }
      throw error
    }
    reconnectCount += 1
    diagnostics?.info("reconnected; publishing \(unconfirmed.count) unconfirmed messages again")
    for item in unconfirmed {
      try send(Pending(message: item.message, context: item.context, returned: nil), on: fresh)
    }
  }
}

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
