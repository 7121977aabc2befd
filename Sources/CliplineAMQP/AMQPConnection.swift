internal import CCliplineRabbitMQ
import Foundation
import CliplineRecords
import CliplineSystem

/// One AMQP connection (rabbitmq-c), owned by one thread at a time: rabbitmq-c is not thread-safe.
/// `init` connects and logs in; `close()` does the closing handshake; `deinit` frees what is left.
public final class AMQPConnection {
  private let state: amqp_connection_state_t
  public let options: ConnectionOptions
  private var openChannels: Set<UInt16> = []
  /// Set once a call failed at the connection level: no closing handshake is possible any more.
  private var isBroken = false
  private var isClosed = false

  public init(_ options: ConnectionOptions) throws {
    guard let state = amqp_new_connection() else {
      throw AMQPError.misuse("connecting", "rabbitmq-c could not allocate a connection")
    }
    self.state = state
    self.options = options
    do {
      try open()
      try openChannel(1)
    } catch {
      isBroken = true
      throw error
    }
  }

  deinit {
    if !isClosed && !isBroken { close() }
    amqp_destroy_connection(state)
  }

  private func open() throws {
    let endpoint = options.endpoint
    let socket: OpaquePointer?
    if endpoint.usesTLS {
      socket = amqp_ssl_socket_new(state)
      guard let socket else { throw AMQPError.misuse("TLS", "rabbitmq-c could not make a TLS socket") }
      if let caFile = options.caFile {
        try AMQPError.check(status: amqp_ssl_socket_set_cacert(socket, caFile), "reading the CA file \(caFile)")
      }
      amqp_ssl_socket_set_verify_peer(socket, options.verifyPeer ? 1 : 0)
      amqp_ssl_socket_set_verify_hostname(socket, options.verifyPeer ? 1 : 0)
      if let certificate = options.certificateFile {
        let key = options.keyFile ?? certificate
        try AMQPError.check(
          status: amqp_ssl_socket_set_key(socket, certificate, key), "reading the client certificate \(certificate)")
      }
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

    let arena = CArena()
    var clientProperties: [String: JSONValue] = ["product": "clipline"]
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
    var properties = amqp_basic_properties_t()
    let given = message.properties
    var flags: UInt32 = 0
    func set(_ value: String?, _ flag: Int32, _ assign: (amqp_bytes_t) -> Void) {
      guard let value else { return }
      assign(arena.bytes(value))
      flags |= UInt32(flag)
    }
    set(given.contentType, AMQP_BASIC_CONTENT_TYPE_FLAG) { properties.content_type = $0 }
    set(given.contentEncoding, AMQP_BASIC_CONTENT_ENCODING_FLAG) { properties.content_encoding = $0 }
    set(given.messageID, AMQP_BASIC_MESSAGE_ID_FLAG) { properties.message_id = $0 }
    set(given.correlationID, AMQP_BASIC_CORRELATION_ID_FLAG) { properties.correlation_id = $0 }
    set(given.replyTo, AMQP_BASIC_REPLY_TO_FLAG) { properties.reply_to = $0 }
    set(given.type, AMQP_BASIC_TYPE_FLAG) { properties.type = $0 }
    set(given.appID, AMQP_BASIC_APP_ID_FLAG) { properties.app_id = $0 }
    set(given.expiration, AMQP_BASIC_EXPIRATION_FLAG) { properties.expiration = $0 }
    properties.delivery_mode = given.persistent ? 2 : 1
    flags |= UInt32(AMQP_BASIC_DELIVERY_MODE_FLAG)
    if let timestamp = given.timestamp {
      properties.timestamp = UInt64(max(0, timestamp.timeIntervalSince1970.rounded(.down)))
      flags |= UInt32(AMQP_BASIC_TIMESTAMP_FLAG)
    }
    if !given.headers.isEmpty {
      properties.headers = arena.table(given.headers)
      flags |= UInt32(AMQP_BASIC_HEADERS_FLAG)
    }
    properties._flags = flags
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

  public func ack(_ deliveryTag: UInt64, channel: UInt16 = 1) throws {
    try usable("acking a message")
    try connectionLevel {
      try AMQPError.check(status: amqp_basic_ack(state, channel, deliveryTag, 0), "acking message \(deliveryTag)")
    }
  }

  /// Gives a message back to the broker: requeued for another consumer, or (requeue false) dead-lettered
  /// by the queue's own dead-letter arguments.
  public func reject(_ deliveryTag: UInt64, requeue: Bool, channel: UInt16 = 1) throws {
    try usable("rejecting a message")
    try connectionLevel {
      try AMQPError.check(
        status: amqp_basic_nack(state, channel, deliveryTag, 0, requeue ? 1 : 0), "returning message \(deliveryTag)")
    }
  }

  /// Waits for what the broker sends next: a delivery, a publisher confirm, a returned message.
  /// Returns nil when `timeout` passes first (nil timeout: wait as long as it takes). Heartbeats are
  /// answered inside; a channel or connection closed by the broker is thrown as `AMQPError`.
  public func nextEvent(timeout: Double?) throws -> AMQPEvent? {
    try usable("waiting for the broker")
    let deadline = timeout.map { Date().addingTimeInterval($0) }
    while true {
      amqp_maybe_release_buffers(state)
      var frame = amqp_frame_t()
      var status: Int32
      if let deadline {
        var wait = Self.timeval(seconds: max(0, deadline.timeIntervalSinceNow))
        status = amqp_simple_wait_frame_noblock(state, &frame, &wait)
        if status == AMQP_STATUS_TIMEOUT.rawValue { return nil }
      } else {
        status = amqp_simple_wait_frame(state, &frame)
      }
      try connectionLevel { try AMQPError.check(status: status, "waiting for the broker") }
      guard frame.frame_type == AMQP_FRAME_METHOD else { continue }
      let method = frame.payload.method
      let channel = frame.channel
      switch method.id {
      case AMQP_BASIC_DELIVER_METHOD:
        let deliver = method.decoded.assumingMemoryBound(to: amqp_basic_deliver_t.self).pointee
        let consumerTag = deliver.consumer_tag.string
        let exchange = deliver.exchange.string
        let routingKey = deliver.routing_key.string
        let (properties, body) = try readContent(channel: channel)
        return .delivery(
          Delivery(
            channel: channel, deliveryTag: deliver.delivery_tag, redelivered: deliver.redelivered != 0,
            exchange: exchange, routingKey: routingKey, consumerTag: consumerTag, properties: properties, body: body))
      case AMQP_BASIC_ACK_METHOD:
        let ack = method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
        return .confirm(
          channel: channel, deliveryTag: ack.delivery_tag, multiple: ack.multiple != 0, acknowledged: true)
      case AMQP_BASIC_NACK_METHOD:
        let nack = method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
        return .confirm(
          channel: channel, deliveryTag: nack.delivery_tag, multiple: nack.multiple != 0, acknowledged: false)
      case AMQP_BASIC_RETURN_METHOD:
        let returned = method.decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
        let replyText = returned.reply_text.string
        let exchange = returned.exchange.string
        let routingKey = returned.routing_key.string
        let (properties, body) = try readContent(channel: channel)
        return .returned(
          ReturnedMessage(
            replyCode: returned.reply_code, replyText: replyText, exchange: exchange, routingKey: routingKey,
            properties: properties, body: body))
      case AMQP_CHANNEL_CLOSE_METHOD:
        let error = AMQPError.serverClose(method: method, "channel \(channel)")
        _ = clipline_amqp_send_channel_close_ok(state, channel)
        openChannels.remove(channel)
        throw error
      case AMQP_CONNECTION_CLOSE_METHOD:
        let error = AMQPError.serverClose(method: method, "connection")
        _ = clipline_amqp_send_connection_close_ok(state)
        isBroken = true
        throw error
      default:
        continue  // basic.cancel-ok, channel.flow and the like need nothing from us
      }
    }
  }

  private func readContent(channel: UInt16) throws -> (MessageProperties, [UInt8]) {
    var message = amqp_message_t()
    let reply = amqp_read_message(state, channel, &message, 0)
    try connectionLevel { try AMQPError.check(reply, "reading a message") }
    defer { amqp_destroy_message(&message) }
    return (Self.properties(message.properties), message.body.array)
  }

  static func properties(_ raw: amqp_basic_properties_t) -> MessageProperties {
    var properties = MessageProperties()
    let flags = raw._flags
    func has(_ flag: Int32) -> Bool { flags & UInt32(flag) != 0 }
    if has(AMQP_BASIC_CONTENT_TYPE_FLAG) { properties.contentType = raw.content_type.string }
    if has(AMQP_BASIC_CONTENT_ENCODING_FLAG) { properties.contentEncoding = raw.content_encoding.string }
    if has(AMQP_BASIC_HEADERS_FLAG) { properties.headers = FieldTableReader.object(raw.headers) }
    if has(AMQP_BASIC_DELIVERY_MODE_FLAG) { properties.persistent = raw.delivery_mode == 2 }
    if has(AMQP_BASIC_MESSAGE_ID_FLAG) { properties.messageID = raw.message_id.string }
    if has(AMQP_BASIC_CORRELATION_ID_FLAG) { properties.correlationID = raw.correlation_id.string }
    if has(AMQP_BASIC_REPLY_TO_FLAG) { properties.replyTo = raw.reply_to.string }
    if has(AMQP_BASIC_TYPE_FLAG) { properties.type = raw.type.string }
    if has(AMQP_BASIC_APP_ID_FLAG) { properties.appID = raw.app_id.string }
    if has(AMQP_BASIC_EXPIRATION_FLAG) { properties.expiration = raw.expiration.string }
    if has(AMQP_BASIC_TIMESTAMP_FLAG) { properties.timestamp = Date(timeIntervalSince1970: Double(raw.timestamp)) }
    return properties
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

  private func usable(_ operation: String) throws {
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

  private func connectionLevel(_ body: () throws -> Void) throws {
    do {
      try body()
    } catch let error as AMQPError {
      if case .library = error.origin { isBroken = true }
      throw error
    }
  }
}
