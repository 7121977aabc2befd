internal import CCliplineRabbitMQ
import CliplineRecords
import CliplineSystem
import Foundation

/// A failure of rabbitmq-c or of the broker, with the operation that failed and the library's or broker's own words.
/// Built only by the `check` functions below, so every failure reads and maps to an exit code the same way.
public struct AMQPError: Error, CustomStringConvertible, ExitStatusProviding {
  public enum Origin: Equatable, Sendable {
    /// rabbitmq-c's status code (`amqp_status_enum`): sockets, TLS, timeouts, framing.
    case library(status: Int32)
    /// The broker closed the channel, with its reply code (404 NOT_FOUND, 406 PRECONDITION_FAILED, …).
    case channelClosed(replyCode: UInt16)
    /// The broker closed the connection (320 CONNECTION_FORCED, 403 ACCESS_REFUSED, 530 NOT_ALLOWED, …).
    case connectionClosed(replyCode: UInt16)
  }

  public let operation: String
  public let message: String
  public let origin: Origin
  /// The library failed because this process ran out of descriptors or memory (a socket it could not make): ours,
  /// not the broker's, and reconnecting at once would only fail again.
  public var shortage: ResourceShortage?

  public var description: String { "\(operation): \(message)" + (shortage.map { " (\($0))" } ?? "") }

  /// The connection is gone (socket, heartbeat, broker shutting down): reconnecting may help.
  public var isConnectionLost: Bool {
    guard shortage == nil else { return false }
    switch origin {
    case .library(let status):
      return ![
        AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED.rawValue, AMQP_STATUS_SSL_PEER_VERIFY_FAILED.rawValue,
        AMQP_STATUS_SSL_CONNECTION_FAILED.rawValue, AMQP_STATUS_BAD_URL.rawValue,
      ].contains(status)
    case .connectionClosed(let code): return code == 320 || code == 541  // CONNECTION_FORCED, INTERNAL_ERROR
    case .channelClosed: return false
    }
  }

  /// RabbitMQ's consumer_timeout closes the channel with 406 and this text.
  public var isConsumerTimeout: Bool {
    origin == .channelClosed(replyCode: 406) && message.contains("acknowledgement") && message.contains("timed out")
  }

  public var exitStatus: ExitStatus {
    if let shortage { return shortage.exitStatus }
    switch origin {
    case .library(let status):
      switch status {
      case AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED.rawValue, AMQP_STATUS_SSL_PEER_VERIFY_FAILED.rawValue,
        AMQP_STATUS_SSL_CONNECTION_FAILED.rawValue:
        return .configuration
      case AMQP_STATUS_BAD_URL.rawValue: return .usage
      default: return .unavailable
      }
    case .channelClosed(let code), .connectionClosed(let code):
      switch code {
      case 403, 530: return .permissionDenied  // ACCESS_REFUSED, NOT_ALLOWED (vhost)
      case 404, 406: return .configuration  // NOT_FOUND (queue, exchange), PRECONDITION_FAILED (arguments differ)
      default: return .unavailable
      }
    }
  }

  init(operation: String, message: String, origin: Origin) {
    self.operation = operation
    self.message = message
    self.origin = origin
  }

  /// A rabbitmq-c status code (negative on failure).
  static func check(status: Int32, _ operation: @autoclosure () -> String) throws {
    guard status < 0 else { return }
    throw library(status, operation())
  }

  /// A rabbitmq-c failure; a socket error left by EMFILE, ENFILE or ENOMEM is a `shortage`.
  private static func library(_ status: Int32, _ operation: String) -> AMQPError {
    let code = errno
    var error = AMQPError(
      operation: operation, message: String(cString: amqp_error_string2(status)), origin: .library(status: status))
    if status == AMQP_STATUS_SOCKET_ERROR.rawValue { error.shortage = ResourceShortage.of(errno: code) }
    return error
  }

  static func check(_ reply: amqp_rpc_reply_t, _ operation: @autoclosure () -> String) throws {
    switch reply.reply_type {
    case AMQP_RESPONSE_NORMAL:
      return
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      throw library(reply.library_error, operation())
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      throw serverClose(method: reply.reply, operation())
    default:
      throw AMQPError(operation: operation(), message: "no reply from the broker", origin: .library(status: -1))
    }
  }

  /// The broker's channel.close or connection.close, as an error.
  static func serverClose(method: amqp_method_t, _ operation: String) -> AMQPError {
    switch method.id {
    case AMQP_CHANNEL_CLOSE_METHOD:
      let close = method.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
      return AMQPError(
        operation: operation, message: "the broker closed the channel: \(close.reply_code) \(close.reply_text.string)",
        origin: .channelClosed(replyCode: close.reply_code))
    case AMQP_CONNECTION_CLOSE_METHOD:
      let close = method.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
      return AMQPError(
        operation: operation,
        message: "the broker closed the connection: \(close.reply_code) \(close.reply_text.string)",
        origin: .connectionClosed(replyCode: close.reply_code))
    default:
      return AMQPError(
        operation: operation, message: "unexpected method 0x\(String(method.id, radix: 16)) from the broker",
        origin: .library(status: AMQP_STATUS_UNEXPECTED_STATE.rawValue))
    }
  }

  /// Failures that are ours, not the library's (a closed connection used again, say).
  static func misuse(_ operation: String, _ message: String) -> AMQPError {
    AMQPError(operation: operation, message: message, origin: .library(status: AMQP_STATUS_CONNECTION_CLOSED.rawValue))
  }
}

extension amqp_bytes_t {
  /// The bytes as a Swift string (UTF-8, invalid sequences repaired).
  var string: String {
    guard len > 0, let bytes else { return "" }
    return String(decoding: UnsafeRawBufferPointer(start: bytes, count: len), as: UTF8.self)
  }

  var array: [UInt8] {
    guard len > 0, let bytes else { return [] }
    return Array(UnsafeRawBufferPointer(start: bytes, count: len))
  }
}
