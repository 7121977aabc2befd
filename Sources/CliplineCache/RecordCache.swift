import CliplineRecords
import CliplineSystem
import Foundation

/// A small key → bytes cache with a lifetime: Redis (shared by every host) or a file (the embedded default).
/// A cache is never a dependency: callers treat its errors as warnings and go to the source.
public protocol RecordCache: AnyObject {
  /// The value, or nil when absent or expired.
  func read(key: String) throws -> [UInt8]?
  func write(key: String, value: [UInt8], lifetime: Double) throws
  /// Where it lives, for diagnostics (no secrets).
  var location: String { get }
}

/// Redis: `GET key` / `SET key value EX seconds`. The connection opens on first use and is kept.
public final class RedisRecordCache: RecordCache {
  public let url: RedisURL
  public let timeout: Double
  private var connection: RedisConnection?

  public init(url: RedisURL, timeout: Double = 2) {
    self.url = url
    self.timeout = timeout
  }

  public var location: String { url.redacted }

  private func connected() throws -> RedisConnection {
    if let connection { return connection }
    let made = try RedisConnection(url: url, timeout: timeout)
    connection = made
    return made
  }

  public func read(key: String) throws -> [UInt8]? {
    do {
      switch try connected().command("GET", key) {
      case .bytes(let bytes): return bytes
      default: return nil
      }
    } catch {
      connection = nil  // a broken connection is not reused
      throw error
    }
  }

  public func write(key: String, value: [UInt8], lifetime: Double) throws {
    var arguments: [[UInt8]] = [Array("SET".utf8), Array(key.utf8), value]
    if lifetime > 0 { arguments += [Array("PX".utf8), Array(String(Int64(lifetime * 1000)).utf8)] }
    do {
      _ = try connected().command(arguments)
    } catch {
      connection = nil
      throw error
    }
  }
}

/// One file per key under the user's cache directory (`$XDG_CACHE_HOME/clipline`, else `~/.cache/clipline`).
/// The first line holds the expiry (epoch seconds); the rest is the value. Written to a temporary file and
/// renamed, so a reader never sees half a value.
public final class FileRecordCache: RecordCache {
  public let directory: String

  public init(directory: String? = nil) {
    self.directory = directory ?? FileRecordCache.defaultDirectory
  }

  public static var defaultDirectory: String {
    if let base = Settings.environment("XDG_CACHE_HOME") { return base + "/clipline" }
    let home = Settings.environment("HOME") ?? NSHomeDirectory()
    return home + "/.cache/clipline"
  }

  public var location: String { directory }

  public func path(for key: String) -> String {
    let safe = key.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" }
    return directory + "/" + String(safe) + ".cache"
  }

  public func read(key: String) throws -> [UInt8]? {
    guard let data = FileManager.default.contents(atPath: path(for: key)) else { return nil }
    let bytes = [UInt8](data)
    guard let newline = bytes.firstIndex(of: 0x0A),
      let expiry = Double(String(decoding: bytes[..<newline], as: UTF8.self))
    else { return nil }
    if expiry > 0, expiry < Date().timeIntervalSince1970 { return nil }
    return Array(bytes[(newline + 1)...])
  }

  public func write(key: String, value: [UInt8], lifetime: Double) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let expiry = lifetime > 0 ? Date().timeIntervalSince1970 + lifetime : 0
    let final = path(for: key)
    try WholeFile.write(Array(String(format: "%.3f\n", expiry).utf8) + value, to: final)
  }
}
