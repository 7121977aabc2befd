internal import CCliplineRabbitMQ
import CliplineRecords
import CliplineSystem
import Foundation

/// What the broker sends us, read on the connection's one thread: deliveries, publisher confirms, returns, and the
/// broker's notices (a cancelled consumer, a blocked connection, a closed channel).
extension AMQPConnection {
  /// Waits for what the broker sends next: a delivery, a publisher confirm, a returned message.
  /// Returns nil when `timeout` passes first (nil timeout: wait as long as it takes), or as soon as `wakeUp`
  /// is signalled. It sleeps in poll(2) on the socket and the wake-up descriptor, never spinning; it wakes in time
  /// to send heartbeats, and rabbitmq-c notices missed ones. A channel or connection closed by the broker is
  /// thrown as `AMQPError`.
  /// With `untilShutdown` (and no `wakeUp`), a stop signal ends the wait too.
  public func nextEvent(timeout: Double?, wakeUp: WakeUpPipe? = nil, untilShutdown: Bool = false) throws -> AMQPEvent? {
    try usable("waiting for the broker")
    if !pendingEvents.isEmpty { return pendingEvents.removeFirst() }
    let deadline = timeout.map { Date().addingTimeInterval($0) }
    while true {
      amqp_maybe_release_buffers(state)
      // Frames rabbitmq-c already holds (read ahead, or queued during an RPC) would never wake poll(2).
      if amqp_frames_enqueued(state) == 0 && amqp_data_in_buffer(state) == 0 {
        var wait = deadline.map { max(0, $0.timeIntervalSinceNow) } ?? .infinity
        let heartbeat = amqp_get_heartbeat(state)
        if heartbeat > 0 { wait = min(wait, Double(heartbeat) / 2) }
        let alsoWaitOn = wakeUp?.readDescriptor ?? (untilShutdown ? ShutdownSignal.shared.wakeUpDescriptor : nil)
        let ready = try SocketWait.readable(amqp_get_sockfd(state), or: alsoWaitOn, seconds: wait)
        if ready.wakeUp {
          wakeUp?.drain()
          return nil
        }
      }
      // One microsecond: rabbitmq-c reads what has arrived, sends a heartbeat that is due and notices a missed
      // one, but does not wait (an incomplete frame stays in its buffer for the next turn).
      var frame = amqp_frame_t()
      var noWait = Glibc.timeval(tv_sec: 0, tv_usec: 1)
      let status = amqp_simple_wait_frame_noblock(state, &frame, &noWait)
      if status == AMQP_STATUS_TIMEOUT.rawValue {
        if let deadline, Date() >= deadline { return nil }
        continue
      }
      try connectionLevel { try AMQPError.check(status: status, "waiting for the broker") }
      guard frame.frame_type == AMQP_FRAME_METHOD else { continue }
      if let event = try event(for: frame) { return event }
    }
  }

  private func event(for frame: amqp_frame_t) throws -> AMQPEvent? {
    let method = frame.payload.method
    let channel = frame.channel
    switch method.id {
    case AMQP_BASIC_DELIVER_METHOD:
      let deliver = method.decoded.assumingMemoryBound(to: amqp_basic_deliver_t.self).pointee
      let consumerTag = deliver.consumer_tag.string
      let exchange = deliver.exchange.string
      let routingKey = deliver.routing_key.string
      let content = try readContent(channel: channel)
      var delivery = Delivery(
        channel: channel, deliveryTag: deliver.delivery_tag, redelivered: deliver.redelivered != 0,
        exchange: exchange, routingKey: routingKey, consumerTag: consumerTag, properties: content.properties,
        body: content.body)
      delivery.decodingProblem = content.problem
      return .delivery(delivery)
    case AMQP_BASIC_ACK_METHOD:
      let ack = method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
      return .confirm(channel: channel, deliveryTag: ack.delivery_tag, multiple: ack.multiple != 0, acknowledged: true)
    case AMQP_BASIC_NACK_METHOD:
      let nack = method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
      return .confirm(
        channel: channel, deliveryTag: nack.delivery_tag, multiple: nack.multiple != 0, acknowledged: false)
    case AMQP_BASIC_RETURN_METHOD:
      let returned = method.decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
      let replyText = returned.reply_text.string
      let exchange = returned.exchange.string
      let routingKey = returned.routing_key.string
      let content = try readContent(channel: channel)
      return .returned(
        ReturnedMessage(
          replyCode: returned.reply_code, replyText: replyText, exchange: exchange, routingKey: routingKey,
          properties: content.properties, body: content.body))
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
    case AMQP_BASIC_CANCEL_METHOD:
      let cancel = method.decoded.assumingMemoryBound(to: amqp_basic_cancel_t.self).pointee
      return .consumerCancelled(consumerTag: cancel.consumer_tag.string)
    case AMQP_CONNECTION_BLOCKED_METHOD:
      let blocked = method.decoded.assumingMemoryBound(to: amqp_connection_blocked_t.self).pointee
      return .blocked(reason: blocked.reason.string)
    case AMQP_CONNECTION_UNBLOCKED_METHOD:
      return .unblocked
    default:
      return nil  // basic.cancel-ok, channel.flow and the like need nothing from us
    }
  }

  /// The content header and body frames after a deliver or return, read frame by frame rather than with
  /// `amqp_read_message`: its copy of the headers refuses tables rabbitmq-c itself decoded (an empty key), which
  /// left the message unreadable and the consumer reconnecting for ever.
  func readContent(channel: UInt16) throws -> (properties: MessageProperties, body: [UInt8], problem: String?) {
    let header = try nextFrame(on: channel, "reading a message")
    guard header.frame_type == AMQP_FRAME_HEADER else {
      isBroken = true
      throw AMQPError.misuse("reading a message", "the broker sent no content header after the method")
    }
    let decoded = header.payload.properties.decoded.assumingMemoryBound(to: amqp_basic_properties_t.self).pointee
    var problem: String?
    let properties = MessageProperties(decoded, problem: &problem)
    let size = Int(clamping: header.payload.properties.body_size)
    var body: [UInt8] = []
    body.reserveCapacity(size)
    while body.count < size {
      let frame = try nextFrame(on: channel, "reading a message")
      guard frame.frame_type == AMQP_FRAME_BODY, body.count + frame.payload.body_fragment.len <= size else {
        isBroken = true
        throw AMQPError.misuse("reading a message", "the message body frames do not add up to its size")
      }
      body.append(contentsOf: frame.payload.body_fragment.array)
    }
    return (properties, body, problem)
  }

  /// The next frame on `channel`; confirms for other channels that arrive meanwhile wait in `pendingEvents`.
  private func nextFrame(on channel: UInt16, _ operation: String) throws -> amqp_frame_t {
    var timeout = Self.timeval(seconds: max(30, options.connectTimeout))
    while true {
      var frame = amqp_frame_t()
      let status = amqp_simple_wait_frame_noblock(state, &frame, &timeout)
      try connectionLevel { try AMQPError.check(status: status, operation) }
      if frame.channel == channel { return frame }
      guard frame.frame_type == AMQP_FRAME_METHOD, let event = try event(for: frame), case .confirm = event else {
        isBroken = true
        throw AMQPError.misuse(operation, "the broker interleaved another channel's content with a message")
      }
      pendingEvents.append(event)
    }
  }
}
