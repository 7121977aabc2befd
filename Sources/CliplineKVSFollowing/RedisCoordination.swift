import CliplineCache
import CliplineRecords
import CliplineSystem
import Foundation

/// A stream held by one follower: the lease's value (the owner and its fencing token, the count of every grant of
/// that stream so far), written into the lease key until it expires or is released.
public struct StreamLease: Sendable, Equatable {
  public let stream: String
  public let value: String
  public let fence: Int64
}

/// Many hosts on one Redis (`--state redis://`): each stream's position, and a lease per stream so that exactly one
/// follower follows it. A lease is granted with a fencing token (INCR), kept alive by renewing it before it expires,
/// and checked inside the same script that saves a position, so a follower that lost its lease (paused, cut off)
/// can never move a stream's position. A follower that dies simply stops renewing: its streams are free once their
/// leases expire. Followers also keep a heartbeat in a sorted set, so each knows how many share the cameras and takes
/// its share. Everything is Redis's own atomic commands and scripts: no protocol of ours.
public final class RedisCoordination: PositionStore, @unchecked Sendable {  // `lock` guards `connection`
  public let url: RedisURL
  public let owner: String
  /// How long a lease lasts without renewal, in milliseconds.
  public let leaseMillis: Int64
  private let lock = NSLock()
  private var connection: RedisConnection?
  static let prefix = "clipline:kvs-follow:"

  public init(url: RedisURL, leaseSeconds: Double, owner: String? = nil) {
    self.url = url
    leaseMillis = Int64(leaseSeconds * 1000)
    self.owner = owner ?? "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UInt32.random(in: 0...UInt32.max))"
  }

  public var location: String { url.redacted }

  static let acquireScript = """
    if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
    local fence = redis.call('INCR', KEYS[2])
    redis.call('SET', KEYS[1], ARGV[1] .. ':' .. fence, 'PX', ARGV[2])
    return fence
    """
  static let renewScript = """
    if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
    return 0
    """
  static let releaseScript = """
    if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
    return 0
    """
  static let saveScript = """
    if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
    redis.call('SET', KEYS[2], ARGV[2])
    return 1
    """
  static let heartbeatScript = """
    local time = redis.call('TIME')
    local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
    return redis.call('ZCARD', KEYS[1])
    """

  static func key(_ kind: String, _ stream: String) -> String { prefix + kind + ":" + stream }

  /// The lease of `stream`, when no one holds it.
  public func acquire(_ stream: String) throws -> StreamLease? {
    let reply = try run(
      Self.acquireScript, keys: [Self.key("lease", stream), Self.key("fence", stream)],
      arguments: [owner, String(leaseMillis)])
    guard case .integer(let fence) = reply, fence > 0 else { return nil }
    return StreamLease(stream: stream, value: "\(owner):\(fence)", fence: fence)
  }

  /// False when the lease is no longer this follower's.
  public func renew(_ lease: StreamLease) throws -> Bool {
    let reply = try run(
      Self.renewScript, keys: [Self.key("lease", lease.stream)], arguments: [lease.value, String(leaseMillis)])
    return reply == .integer(1)
  }

  public func release(_ lease: StreamLease) {
    _ = try? run(Self.releaseScript, keys: [Self.key("lease", lease.stream)], arguments: [lease.value])
  }

  /// Says this follower is alive; returns how many are.
  public func heartbeat() throws -> Int {
    let reply = try run(Self.heartbeatScript, keys: [Self.prefix + "members"], arguments: [owner, String(leaseMillis)])
    guard case .integer(let count) = reply else { return 1 }
    return max(1, Int(count))
  }

  /// Leaves the followers' set at once (a clean stop), so the others take its share without waiting.
  public func leave() { _ = try? command(["ZREM", Self.prefix + "members", owner]) }

  public func load(_ stream: String) throws -> FollowPosition? {
    guard case .bytes(let bytes) = try command(["GET", Self.key("position", stream)]) else { return nil }
    return try FollowPosition.decode(bytes, from: "\(location) \(Self.key("position", stream))")
  }

  public func save(_ position: FollowPosition, for stream: String, lease: StreamLease?) throws {
    let reply = try run(
      Self.saveScript, keys: [Self.key("lease", stream), Self.key("position", stream)],
      arguments: [lease?.value ?? "", String(decoding: position.json, as: UTF8.self)])
    guard reply == .integer(1) else { throw LeaseLost(stream: stream) }
  }

  /// Leases decide who follows a stream here, not local locks.
  public func claim(_ stream: String) -> Bool { true }
  public func release(_ stream: String) {}

  private func run(_ script: String, keys: [String], arguments: [String]) throws -> RedisConnection.Reply {
    try command(["EVAL", script, String(keys.count)] + keys + arguments)
  }

  /// One command on the shared connection; a connection that failed is opened again for the next command.
  private func command(_ arguments: [String]) throws -> RedisConnection.Reply {
    try lock.withLock {
      do {
        if connection == nil { connection = try RedisConnection(url: url) }
        return try connection!.command(arguments.map { Array($0.utf8) })
      } catch {
        connection = nil
        throw error
      }
    }
  }
}
