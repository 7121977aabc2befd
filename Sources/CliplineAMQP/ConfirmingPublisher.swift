import CliplineRecords
import CliplineSystem
import Foundation

/// Publishes with publisher confirms, pipelined: up to `window` messages are on the wire unconfirmed at once.
/// Every message ends in exactly one callback: `onConfirmed` once the broker acked it, or `onFailed` when it was
/// nacked or returned as unroutable. When the connection drops, it reconnects with backoff and republishes
/// every unconfirmed message (at-least-once); if the broker stays away past `reconnectFor`, it throws `BrokerGone`.
/// While the broker blocks the connection (connection.blocked: a memory or disk alarm) nothing more is sent; every
/// wait on the broker ends on SIGTERM (`StoppedBySignal`) and, with `waitLimit`, after that long (`BrokerWaitTooLong`).
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
  /// Why the broker blocks this connection (connection.blocked), while it does.
  private var blockedReason: String?
  /// The longest a wait on the broker (confirms, a block) may last; nil: until SIGTERM.
  private let waitLimit: Double?
  /// After SIGTERM, how long the confirms of what was already sent are still awaited (a blocked broker: not at all).
  static var confirmGrace: Double { 5 }

  public var onConfirmed: (Context) throws -> Void = { _ in }
  public var onFailed: (Context, PublishFailure) -> Void = { _, _ in }
  public private(set) var confirmedCount = 0
  public private(set) var failedCount = 0
  public private(set) var reconnectCount = 0
  public var unconfirmedCount: Int { pending.count }

  /// `connector` opens a connection ready for use (topology declared); the publisher turns on confirms.
  public init(
    window: Int = 1024, reconnectFor: Double = 60, waitLimit: Double? = nil, diagnostics: Diagnostics? = nil,
    connector: @escaping Connector
  ) {
    self.window = max(1, window)
    self.waitLimit = waitLimit
    self.reconnectFor = reconnectFor
    self.diagnostics = diagnostics
    self.connector = connector
  }

  deinit { close() }

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
      try waitForBroker(on: connection) { pending.count < window && blockedReason == nil }
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
      try waitForBroker(on: connection) { pending.isEmpty }
    }
  }

  /// Reads what the broker sends until `done`. SIGTERM ends the wait: at once while the broker blocks us, else
  /// after `confirmGrace` (what was sent may still be confirmed); `waitLimit` bounds it.
  private func waitForBroker(on connection: AMQPConnection, until done: () -> Bool) throws {
    let started = Date()
    var graceEnd: Date?
    while !done() {
      if ShutdownSignal.shared.isRequested {
        let end = graceEnd ?? Date().addingTimeInterval(blockedReason == nil ? Self.confirmGrace : 0)
        graceEnd = end
        if Date() >= end { throw StoppedBySignal("while \(waitingFor): \(tally)") }
      }
      let waited = Date().timeIntervalSince(started)
      if let waitLimit, waited >= waitLimit {
        throw BrokerWaitTooLong(waitingFor: waitingFor, limit: waitLimit, tally: tally)
      }
      let turn = min(1, waitLimit.map { $0 - waited } ?? 1, graceEnd.map { $0.timeIntervalSinceNow } ?? 1)
      let untilShutdown = !ShutdownSignal.shared.isRequested
      if let event = try connection.nextEvent(timeout: max(0, turn), untilShutdown: untilShutdown) {
        try handle(event)
      }
    }
  }

  private var waitingFor: String {
    blockedReason.map { "the broker blocked publishing (\($0))" } ?? "waiting for the broker's confirms"
  }

  private var tally: String {
    "\(confirmedCount) messages were confirmed, \(pending.count) were not (publish those again)"
  }

  public func close() {
    // A blocked broker reads nothing from us, a close included: leave without the handshake.
    if blockedReason != nil { connection?.abandon() } else { connection?.close() }
    connection = nil
  }

  private func connected() throws -> AMQPConnection {
    if let connection { return connection }
    let fresh = try connector()
    try fresh.enableConfirms()
    connection = fresh
    nextTag = 1
    blockedReason = nil
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
    case .blocked(let reason):
      if blockedReason == nil {
        diagnostics?.warning(
          "the broker blocks publishing: \(reason) (a memory or disk alarm); waiting for it to clear"
            + (waitLimit.map { " for up to \(DurationArgument.format($0))" } ?? "") + " (SIGTERM stops)")
      }
      blockedReason = reason.isEmpty ? "no reason given" : reason
    case .unblocked:
      if blockedReason != nil { diagnostics?.info("the broker takes messages again") }
      blockedReason = nil
    case .delivery, .consumerCancelled:
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
