import CliplineBlobStores
import CliplineKVS
import CliplineRecords
import CliplineSystem
import Foundation

/// Where a stream continues after a restart: the last fragment of the last window whose record was written, and
/// its time on the windows' clock (its window is the one before those still to come, which decides whether the next
/// fragment starts a window or continues one split at a codec change).
public struct FollowPosition: Codable, Equatable, Sendable {
  public let fragmentNumber: FragmentNumber
  public let fragmentTime: KVSMillis
  public let clock: String

  public init(fragmentNumber: FragmentNumber, fragmentTime: KVSMillis, clock: KVSTimestampKind) {
    self.fragmentNumber = fragmentNumber
    self.fragmentTime = fragmentTime
    self.clock = clock == .server ? "server" : "producer"
  }

  enum CodingKeys: String, CodingKey {
    case fragmentNumber = "fragment_number"
    case fragmentTime = "fragment_time_ms"
    case clock
  }

  var json: [UInt8] { (try? JSONEncoder().encode(self)).map(Array.init) ?? [] }

  static func decode(_ bytes: [UInt8], from location: String) throws -> FollowPosition {
    do {
      return try JSONDecoder().decode(FollowPosition.self, from: Data(bytes))
    } catch {
      throw InputError.invalidField("position", reason: "in \(location) does not parse: \(describe(error))")
    }
  }
}

/// Keeps each stream's position (`--state`), and who follows which stream.
public protocol PositionStore: AnyObject, Sendable {
  /// What messages call it (no secrets).
  var location: String { get }
  func load(_ stream: String) throws -> FollowPosition?
  /// Saves `position`; with a lease, only while the lease is still this process's (else `LeaseLost`).
  func save(_ position: FollowPosition, for stream: String, lease: StreamLease?) throws
  /// Takes the stream for this process (false: another follower on this host has it) until `release`.
  func claim(_ stream: String) -> Bool
  func release(_ stream: String)
}

/// `file://DIR`: a JSON file per stream, replaced whole at each save, and a lock file (flock) a follower holds while it
/// follows the stream, so two followers on one host never follow the same stream.
public final class FilePositionStore: PositionStore, @unchecked Sendable {  // `lock` guards `locks`
  public let directory: String
  private let lock = NSLock()
  private var locks: [String: Int32] = [:]

  public init(directory: String) throws {
    self.directory = directory
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw FileSystemError("create the state directory", path: directory)
    }
  }

  public var location: String { "file://" + directory }

  /// `$XDG_STATE_HOME/clipline/kvs-follow`, else `~/.local/state/clipline/kvs-follow`.
  public static var defaultDirectory: String {
    let environment = ProcessInfo.processInfo.environment
    let base =
      environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
      ?? ((environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".local/state")
    return (base as NSString).appendingPathComponent("clipline/kvs-follow")
  }

  func path(_ stream: String, _ suffix: String) -> String {
    let name = String(stream.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" })
    return (directory as NSString).appendingPathComponent(name + suffix)
  }

  public func load(_ stream: String) throws -> FollowPosition? {
    let file = path(stream, ".json")
    guard let data = FileManager.default.contents(atPath: file) else { return nil }
    return try FollowPosition.decode(Array(data), from: file)
  }

  public func save(_ position: FollowPosition, for stream: String, lease: StreamLease?) throws {
    let file = try AtomicFile(destination: path(stream, ".json"))
    do {
      let handle = try file.create()
      try handle.write(contentsOf: Data(position.json))
      try handle.close()
      try file.commit()
    } catch {
      file.discard()
      throw error
    }
  }

  public func claim(_ stream: String) -> Bool {
    let descriptor = open(path(stream, ".lock"), O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { return false }
    guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
      close(descriptor)
      return false
    }
    lock.withLock { locks[stream] = descriptor }
    return true
  }

  public func release(_ stream: String) {
    guard let descriptor = lock.withLock({ locks.removeValue(forKey: stream) }) else { return }
    close(descriptor)
  }
}

/// A write refused because another follower took the stream over: this one stops following it.
public struct LeaseLost: Error, CustomStringConvertible, ExitStatusProviding {
  public let stream: String
  public var description: String { "another follower took \(stream) over; this one stopped following it" }
  public var exitStatus: ExitStatus { .temporaryFailure }
}
