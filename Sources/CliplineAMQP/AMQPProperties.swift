internal import CCliplineRabbitMQ
import CliplineRecords
import Foundation

/// Basic properties between Swift and rabbitmq-c, every one of the fourteen AMQP 0-9-1 defines, so a message
/// copied to a retry or dead-letter queue keeps all it came with.
extension MessageProperties {
  /// The properties rabbitmq-c decoded; `problem` says why the headers could not be read, when they could not.
  init(_ raw: amqp_basic_properties_t, problem: inout String?) {
    self.init()
    let flags = raw._flags
    func has(_ flag: Int32) -> Bool { flags & UInt32(flag) != 0 }
    func text(_ flag: Int32, _ bytes: amqp_bytes_t) -> String? { has(flag) ? bytes.string : nil }
    contentType = text(AMQP_BASIC_CONTENT_TYPE_FLAG, raw.content_type)
    contentEncoding = text(AMQP_BASIC_CONTENT_ENCODING_FLAG, raw.content_encoding)
    if has(AMQP_BASIC_HEADERS_FLAG) {
      do {
        headerTable = try FieldTableReader.table(raw.headers)
      } catch {
        problem = "the headers cannot be read: \(error)"
      }
    }
    if has(AMQP_BASIC_DELIVERY_MODE_FLAG) { persistent = raw.delivery_mode == 2 }
    if has(AMQP_BASIC_PRIORITY_FLAG) { priority = raw.priority }
    correlationID = text(AMQP_BASIC_CORRELATION_ID_FLAG, raw.correlation_id)
    replyTo = text(AMQP_BASIC_REPLY_TO_FLAG, raw.reply_to)
    expiration = text(AMQP_BASIC_EXPIRATION_FLAG, raw.expiration)
    messageID = text(AMQP_BASIC_MESSAGE_ID_FLAG, raw.message_id)
    if has(AMQP_BASIC_TIMESTAMP_FLAG) { timestamp = Date(timeIntervalSince1970: Double(raw.timestamp)) }
    type = text(AMQP_BASIC_TYPE_FLAG, raw.type)
    userID = text(AMQP_BASIC_USER_ID_FLAG, raw.user_id)
    appID = text(AMQP_BASIC_APP_ID_FLAG, raw.app_id)
    clusterID = text(AMQP_BASIC_CLUSTER_ID_FLAG, raw.cluster_id)
  }

  /// The properties for rabbitmq-c, their bytes kept alive by `arena`.
  func raw(in arena: CArena) -> amqp_basic_properties_t {
    var raw = amqp_basic_properties_t()
    var flags: UInt32 = 0
    func set(_ value: String?, _ flag: Int32, _ assign: (amqp_bytes_t) -> Void) {
      guard let value else { return }
      assign(arena.bytes(value))
      flags |= UInt32(flag)
    }
    set(contentType, AMQP_BASIC_CONTENT_TYPE_FLAG) { raw.content_type = $0 }
    set(contentEncoding, AMQP_BASIC_CONTENT_ENCODING_FLAG) { raw.content_encoding = $0 }
    set(correlationID, AMQP_BASIC_CORRELATION_ID_FLAG) { raw.correlation_id = $0 }
    set(replyTo, AMQP_BASIC_REPLY_TO_FLAG) { raw.reply_to = $0 }
    set(expiration, AMQP_BASIC_EXPIRATION_FLAG) { raw.expiration = $0 }
    set(messageID, AMQP_BASIC_MESSAGE_ID_FLAG) { raw.message_id = $0 }
    set(type, AMQP_BASIC_TYPE_FLAG) { raw.type = $0 }
    set(userID, AMQP_BASIC_USER_ID_FLAG) { raw.user_id = $0 }
    set(appID, AMQP_BASIC_APP_ID_FLAG) { raw.app_id = $0 }
    set(clusterID, AMQP_BASIC_CLUSTER_ID_FLAG) { raw.cluster_id = $0 }
    raw.delivery_mode = persistent ? 2 : 1
    flags |= UInt32(AMQP_BASIC_DELIVERY_MODE_FLAG)
    if let priority {
      raw.priority = priority
      flags |= UInt32(AMQP_BASIC_PRIORITY_FLAG)
    }
    if let timestamp {
      raw.timestamp = UInt64(max(0, timestamp.timeIntervalSince1970.rounded(.down)))
      flags |= UInt32(AMQP_BASIC_TIMESTAMP_FLAG)
    }
    if !headerTable.isEmpty {
      raw.headers = arena.table(headerTable)
      flags |= UInt32(AMQP_BASIC_HEADERS_FLAG)
    }
    raw._flags = flags
    return raw
  }
}
