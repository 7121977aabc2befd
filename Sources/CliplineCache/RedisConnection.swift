internal import CCliplineHiredis
import CliplineRecords
import CliplineSystem
import Foundation

/// A Redis failure: hiredis' own message, and which operation it was.
public struct RedisError: Error, CustomStringConvertible, ExitStatusProviding {
  public let operation: String
  public let message: String

  public var description: String { "Redis \(operation): \(message)" }
  /// Redis is a cache in clipline: callers turn this into a warning, but a tool that needs it says 69.
  public var exitStatus: ExitStatus { .unavailable }
}

/// One hiredis connection (`redisContext`), opened with a timeout; commands go through `redisCommandArgv`
/// (hiredis 0.14 has no `redisConnectWithOptions`, and `redisCommand` is variadic).
public final class RedisConnection {
  private let context: UnsafeMutablePointer<redisContext>
  public let url: RedisURL

  public init(url: RedisURL, timeout: Double = 2) throws {
    context = try RedisConnection.connect(url, timeout: timeout)
    self.url = url
  }

  /// A connected, authenticated context on the wanted database; freed here if any step fails, so `deinit` is
  /// the only other free.
  private static func connect(_ url: RedisURL, timeout: Double) throws -> UnsafeMutablePointer<redisContext> {
    try HiredisLibrary.load()
    let interval = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
    guard let context = redisConnectWithTimeout(url.host, Int32(url.port), interval) else {
      throw RedisError(operation: "connect to \(url.redacted)", message: "out of memory")
    }
    do {
      if context.pointee.err != 0 {
        throw RedisError(operation: "connect to \(url.redacted)", message: RedisConnection.errorText(context))
      }
      // Commands get the same limit as the connection: a stopped Redis must not hang the tool.
      _ = redisSetTimeout(context, interval)
      if let password = url.password {
        var arguments = ["AUTH"]
        if let user = url.user { arguments.append(user) }
        arguments.append(password)
        _ = try command(arguments.map { Array($0.utf8) }, on: context)
      }
      if url.database != 0 { _ = try command(["SELECT", String(url.database)].map { Array($0.utf8) }, on: context) }
    } catch {
      redisFree(context)
      throw error
    }
    return context
  }

  deinit { redisFree(context) }

  /// A Redis reply, reduced to what the cache needs.
  public enum Reply: Equatable {
    case null
    case status(String)
    case integer(Int64)
    case bytes([UInt8])
    case array([Reply])
  }

  /// Sends one command (binary-safe arguments) and returns its reply; a Redis `-ERR` is thrown.
  public func command(_ arguments: [[UInt8]]) throws -> Reply { try RedisConnection.command(arguments, on: context) }

  private static func command(_ arguments: [[UInt8]], on context: UnsafeMutablePointer<redisContext>) throws -> Reply {
    var pointers: [UnsafePointer<CChar>?] = []
    var lengths: [Int] = []
    var storage: [UnsafeMutablePointer<CChar>] = []
    defer { for buffer in storage { buffer.deallocate() } }
    for argument in arguments {
      let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, argument.count))
      argument.withUnsafeBytes { raw in
        if raw.count > 0 { UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress!, byteCount: raw.count) }
      }
      storage.append(buffer)
      pointers.append(UnsafePointer(buffer))
      lengths.append(argument.count)
    }
    let name = String(decoding: arguments.first ?? [], as: UTF8.self)
    let raw = pointers.withUnsafeMutableBufferPointer { pointerBuffer in
      lengths.withUnsafeBufferPointer { lengthBuffer in
        redisCommandArgv(context, Int32(arguments.count), pointerBuffer.baseAddress, lengthBuffer.baseAddress)
      }
    }
    guard let raw else { throw RedisError(operation: name, message: RedisConnection.errorText(context)) }
    defer { freeReplyObject(raw) }
    let reply = raw.assumingMemoryBound(to: redisReply.self)
    if reply.pointee.type == REDIS_REPLY_ERROR {
      throw RedisError(operation: name, message: RedisConnection.text(reply))
    }
    return RedisConnection.convert(reply)
  }

  public func command(_ arguments: String...) throws -> Reply { try command(arguments.map { Array($0.utf8) }) }

  private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> Reply {
    switch reply.pointee.type {
    case REDIS_REPLY_STRING: return .bytes(bytes(reply))
    case REDIS_REPLY_STATUS: return .status(text(reply))
    case REDIS_REPLY_INTEGER: return .integer(Int64(reply.pointee.integer))
    case REDIS_REPLY_ARRAY:
      var items: [Reply] = []
      for index in 0..<Int(reply.pointee.elements) {
        if let element = reply.pointee.element[index] { items.append(convert(element)) }
      }
      return .array(items)
    default: return .null
    }
  }

  private static func bytes(_ reply: UnsafeMutablePointer<redisReply>) -> [UInt8] {
    guard let start = reply.pointee.str else { return [] }
    return Array(UnsafeRawBufferPointer(start: start, count: Int(reply.pointee.len)))
  }

  private static func text(_ reply: UnsafeMutablePointer<redisReply>) -> String {
    String(decoding: bytes(reply), as: UTF8.self)
  }

  private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
    let message = withUnsafeBytes(of: context.pointee.errstr) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
    return message.isEmpty ? "error \(context.pointee.err)" : message
  }
}

/// `redis://[user:password@]host[:port][/db]`.
public struct RedisURL: Sendable, Equatable {
  public let host: String
  public let port: Int
  public let user: String?
  public let password: String?
  public let database: Int

  public init?(_ text: String) {
    guard let components = URLComponents(string: text), components.scheme == "redis",
      let host = components.host, !host.isEmpty
    else { return nil }
    self.host = host
    port = components.port ?? 6379
    user = components.user.flatMap { $0.isEmpty ? nil : $0 }
    password = components.password
    let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
    guard path.isEmpty || Int(path) != nil else { return nil }
    database = Int(path) ?? 0
  }

  /// The URL without its password, for diagnostics.
  public var redacted: String { "redis://\(host):\(port)" + (database == 0 ? "" : "/\(database)") }
}
