internal import CCliplineRabbitMQ
import CliplineRecords
import CliplineSystem
import Foundation

/// One AMQP connection (rabbitmq-c), owned by one thread at a time: rabbitmq-c is not thread-safe.
/// `init` gets a connected, logged-in handle from `openConnection` (which frees it itself when any step fails);
/// `close()` does the closing handshake; `deinit` is the only place that frees the handle.
public final class AMQPConnection {
  let state: amqp_connection_state_t
  public let options: ConnectionOptions
  var openChannels: Set<UInt16> = [1]
  /// Set once a call failed at the connection level: no closing handshake is possible any more.
  var isBroken = false
  private var isClosed = false
  /// Confirms that arrived on another channel while a message's content was being read.
  var pendingEvents: [AMQPEvent] = []

  public init(_ options: ConnectionOptions) throws {
    state = try Self.openConnection(options)
    self.options = options
  }

  deinit {
    if !isClosed && !isBroken { close() }
    amqp_destroy_connection(state)
  }

  /// A new handle, connected, logged in, channel 1 open; on any failure the handle is destroyed here and the
  /// error thrown, so nothing half-open reaches `init`.
  private static func openConnection(_ options: ConnectionOptions) throws -> amqp_connection_state_t {
    try RabbitMQLibrary.load()
    guard let state = amqp_new_connection() else {
      throw AMQPError.misuse("connecting", "rabbitmq-c could not allocate a connection")
    }
    do {
      try open(state, options)
      _ = amqp_channel_open(state, 1)
      try AMQPError.check(amqp_get_rpc_reply(state), "opening channel 1")
    } catch {
      amqp_destroy_connection(state)
      throw error
    }
    return state
  }

  private static func open(_ state: amqp_connection_state_t, _ options: ConnectionOptions) throws {
    let endpoint = options.endpoint
    let socket: OpaquePointer?
    if endpoint.usesTLS {
      socket = try tlsSocket(state, options)
    } else {
      socket = amqp_tcp_socket_new(state)
      guard socket != nil else { throw AMQPError.misuse("connecting", "rabbitmq-c could not make a socket") }
    }
    var connectTimeout = Self.timeval(seconds: options.connectTimeout)
    try AMQPError.check(
      status: amqp_socket_open_noblock(socket, endpoint.host, Int32(endpoint.port), &connectTimeout),
      "connecting to \(endpoint.host):\(endpoint.port)")
    _ = amqp_set_handshake_timeout(state, &connectTimeout)
    // No call to the broker waits forever: a broker that stops answering is a broker that is gone.
    var rpcTimeout = Self.timeval(seconds: max(30, options.connectTimeout))
    _ = amqp_set_rpc_timeout(state, &rpcTimeout)
    try login(state, options)
  }

  /// connection.start-ok with our client properties, tune, open: the handshake after the socket is connected.
  private static func login(_ state: amqp_connection_state_t, _ options: ConnectionOptions) throws {
    let endpoint = options.endpoint
    let arena = CArena()
    // The capabilities replace rabbitmq-c's own table (its two first), and ask for the broker's notices: a consumer
    // cancelled when its queue goes, a connection blocked by an alarm.
    let capabilities: [String: JSONValue] = [
      "authentication_failure_close": true, "exchange_exchange_bindings": true, "consumer_cancel_notify": true,
      "connection.blocked": true, "basic.nack": true, "publisher_confirms": true,
    ]
    var clientProperties: [String: JSONValue] = ["product": "clipline", "capabilities": .object(capabilities)]
    if let name = options.connectionName { clientProperties["connection_name"] = .string(name) }
    let reply = clipline_amqp_login_plain(
      state, endpoint.vhost, 0, 131072, Int32(options.heartbeat), endpoint.user, endpoint.password,
      arena.table(clientProperties))
    do {
      try AMQPError.check(reply, "logging in to \(endpoint)")
    } catch let error as AMQPError
      where endpoint.usesTLS && error.origin == .library(status: AMQP_STATUS_SSL_ERROR.rawValue)
    {
      // During the handshake this is the broker refusing us (our client certificate, say), not a network
      // failure: reconnecting would not help.
      throw AMQPError(
        operation: error.operation,
        message: "the TLS session failed during the handshake: the broker refused the connection (is the client "
          + "certificate signed by a CA the broker trusts?)",
        origin: .library(status: AMQP_STATUS_SSL_CONNECTION_FAILED.rawValue))
    } catch let error as AMQPError where endpoint.vhost.isEmpty {
      throw AMQPError(
        operation: error.operation,
        message: error.message + " (the URL names the empty vhost; end it with /%2f for the default vhost \"/\")",
        origin: error.origin)
    }
  }

  static func timeval(seconds: Double) -> timeval {
    Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1_000_000))
  }

  // MARK: Channels and topology

  public func isOpen(channel: UInt16) -> Bool { openChannels.contains(channel) }

  public func openChannel(_ channel: UInt16) throws {
    try usable("opening channel \(channel)")
    _ = amqp_channel_open(state, channel)
    try checkReply("opening channel \(channel)")
    openChannels.insert(channel)
  }

  /// Puts a channel in confirm mode: the broker acks (or nacks) every message published on it.
  public func enableConfirms(channel: UInt16 = 1) throws {
    try usable("enabling publisher confirms")
    _ = amqp_confirm_select(state, channel)
    try checkReply("enabling publisher confirms")
  }

  /// Declares a queue (or with `passive`, checks that it exists); returns its message and consumer counts.
  @discardableResult
  public func declareQueue(
    _ name: String, channel: UInt16 = 1, passive: Bool = false, durable: Bool = true,
    arguments: [String: JSONValue] = [:]
  ) throws -> (messages: Int, consumers: Int) {
    try usable("declaring queue \(name)")
    let arena = CArena()
    let ok = amqp_queue_declare(
      state, channel, arena.bytes(name), passive ? 1 : 0, durable ? 1 : 0, 0, 0, arena.table(arguments))
    try checkReply(passive ? "checking that queue \"\(name)\" exists" : "declaring queue \"\(name)\"", channel: channel)
    guard let ok else { return (0, 0) }
    return (Int(ok.pointee.message_count), Int(ok.pointee.consumer_count))
  }

  /// Binds a queue to an exchange (amqp-consume's `--exchange`, as amqp-tools does it); binding twice is harmless.
  public func bindQueue(_ queue: String, exchange: String, routingKey: String, channel: UInt16 = 1) throws {
    try usable("binding queue \(queue)")
    let arena = CArena()
    _ = amqp_queue_bind(
      state, channel, arena.bytes(queue), arena.bytes(exchange), arena.bytes(routingKey), amqp_table_t())
    try checkReply("binding queue \"\(queue)\" to exchange \"\(exchange)\"", channel: channel)
  }

  public func setPrefetch(_ count: Int, channel: UInt16 = 1) throws {
    try usable("setting the prefetch count")
    _ = amqp_basic_qos(state, channel, 0, UInt16(clamping: count), 0)
    try checkReply("setting the prefetch count")
  }

  /// Starts a consumer with manual acks; returns the consumer tag.
  public func consume(queue: String, channel: UInt16 = 1) throws -> String {
    try usable("consuming from \(queue)")
    let arena = CArena()
    let ok = amqp_basic_consume(
      state, channel, arena.bytes(queue), amqp_bytes_t(len: 0, bytes: nil), 0, 0, 0, amqp_table_t())
    try checkReply("consuming from queue \"\(queue)\"", channel: channel)
    return ok?.pointee.consumer_tag.string ?? ""
  }

  /// Stops the broker sending to a consumer. Deliveries already on the wire still arrive.
  public func cancel(consumerTag: String, channel: UInt16 = 1) throws {
    try usable("cancelling the consumer")
    let arena = CArena()
    // Sent without waiting for cancel-ok: deliveries may arrive before it, and the event loop reads them.
    var method = amqp_basic_cancel_t(consumer_tag: arena.bytes(consumerTag), nowait: 0)
    try connectionLevel {
      try AMQPError.check(
        status: amqp_send_method(state, channel, AMQP_BASIC_CANCEL_METHOD, &method), "cancelling the consumer")
    }
  }

  // MARK: Messages

  public func publish(_ message: OutgoingMessage, channel: UInt16 = 1) throws {
    try usable("publishing")
    let arena = CArena()
    var properties = message.properties.raw(in: arena)
    let exchange = arena.bytes(message.exchange)
    let routingKey = arena.bytes(message.routingKey)
    try connectionLevel {
      // The body is sent during the call, so it can be borrowed rather than copied.
      let status = message.body.withUnsafeBytes { raw in
        amqp_basic_publish(
          state, channel, exchange, routingKey, message.mandatory ? 1 : 0, 0, &properties,
          amqp_bytes_t(len: raw.count, bytes: UnsafeMutableRawPointer(mutating: raw.baseAddress)))
      }
      try AMQPError.check(status: status, "publishing to \"\(message.exchange)\" with key \"\(message.routingKey)\"")
    }
  }

  /// basic.get with manual ack: the next ready message, held unacked by us until acked or rejected (or the
  /// connection closes, when the broker requeues it); nil when the queue is empty. The `consumerTag` is empty.
  public func get(queue: String, channel: UInt16 = 1) throws -> (delivery: Delivery, remaining: Int)? {
    try usable("reading queue \(queue)")
    let arena = CArena()
    let reply = amqp_basic_get(state, channel, arena.bytes(queue), 0)
    if reply.reply_type != AMQP_RESPONSE_NORMAL { try checkReply("reading queue \"\(queue)\"", channel: channel) }
    guard reply.reply.id == AMQP_BASIC_GET_OK_METHOD else { return nil }  // get-empty
    let ok = reply.reply.decoded.assumingMemoryBound(to: amqp_basic_get_ok_t.self).pointee
    let exchange = ok.exchange.string
    let routingKey = ok.routing_key.string
    let content = try readContent(channel: channel)
    var delivery = Delivery(
      channel: channel, deliveryTag: ok.delivery_tag, redelivered: ok.redelivered != 0, exchange: exchange,
      routingKey: routingKey, consumerTag: "", properties: content.properties, body: content.body)
    delivery.decodingProblem = content.problem
    return (delivery, Int(ok.message_count))
  }

  public func ack(_ deliveryTag: UInt64, channel: UInt16 = 1) throws {
    try usable("acking a message")
    try connectionLevel {
      try AMQPError.check(status: amqp_basic_ack(state, channel, deliveryTag, 0), "acking message \(deliveryTag)")
    }
  }

  /// Gives a message back to the broker: requeued for another consumer, or (requeue false) dead-lettered
  /// by the queue's own dead-letter arguments.
  /// With `multiple`, every unacked message up to and including `deliveryTag` on the channel.
  public func reject(_ deliveryTag: UInt64, requeue: Bool, multiple: Bool = false, channel: UInt16 = 1) throws {
    try usable("rejecting a message")
    try connectionLevel {
      try AMQPError.check(
        status: amqp_basic_nack(state, channel, deliveryTag, multiple ? 1 : 0, requeue ? 1 : 0),
        "returning message \(deliveryTag)")
    }
  }

  // MARK: Closing

  /// The closing handshake (channels, then the connection). Safe to call twice; after a lost connection it
  /// only marks the connection closed.
  public func close() {
    guard !isClosed else { return }
    isClosed = true
    guard !isBroken else { return }
    for channel in openChannels.sorted(by: >) {
      _ = amqp_channel_close(state, channel, Int32(AMQP_REPLY_SUCCESS))
    }
    openChannels.removeAll()
    _ = amqp_connection_close(state, Int32(AMQP_REPLY_SUCCESS))
  }

  /// Drops the connection without the closing handshake: a broker that blocks us (an alarm) stops reading our
  /// socket, so its answer to a close would never come. `deinit` closes the socket.
  public func abandon() { isClosed = true }

  func usable(_ operation: String) throws {
    if isClosed || isBroken { throw AMQPError.misuse(operation, "the connection is closed") }
  }

  /// The RPC reply of the last synchronous call; a server close of the connection breaks it for good.
  private func checkReply(_ operation: String, channel: UInt16 = 1) throws {
    do {
      try AMQPError.check(amqp_get_rpc_reply(state), operation)
    } catch let error as AMQPError {
      switch error.origin {
      case .channelClosed:
        _ = clipline_amqp_send_channel_close_ok(state, channel)
        openChannels.remove(channel)
      case .connectionClosed:
        _ = clipline_amqp_send_connection_close_ok(state)
        isBroken = true
      case .library:
        isBroken = true
      }
      throw error
    }
  }

  func connectionLevel(_ body: () throws -> Void) throws {
    do {
      try body()
    } catch let error as AMQPError {
      if case .library = error.origin { isBroken = true }
      throw error
    }
  }
}
