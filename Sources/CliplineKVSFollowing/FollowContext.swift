import CliplineKVS
import CliplineRecords
import CliplineSystem
import Foundation

/// Where a stream with no saved position starts.
public enum FollowStart: Sendable, Equatable {
  case now
  case earliest
  case at(KVSMillis)
}

/// What every stream's follower shares: how to follow, where records and positions go.
public struct FollowSettings: Sendable {
  /// The window length in milliseconds.
  public var windowMillis: Int64
  /// The clock windows are aligned on (the server's by default: KVS keeps it monotonic per stream).
  public var clock: KVSTimestampKind = .server
  public var start: FollowStart = .now
  public var form: WindowRecordForm = .clip
  /// No byte for this long: the session is given up and opened again with backoff (seconds).
  public var idleTimeout: Double = 5
  /// The longest wait between reconnections of a camera that stays away (seconds).
  public var maximumBackoff: Double = 10
  public var kvs: KVSConfiguration
  public var tasks: KVSTaskBuilder

  public init(windowMillis: Int64, kvs: KVSConfiguration, tasks: KVSTaskBuilder) {
    self.windowMillis = windowMillis
    self.kvs = kvs
    self.tasks = tasks
  }
}

/// A lease as its follower sees it: held until the coordinator last renewed it plus its length, less a margin so
/// that a follower stops writing before another can have taken over. `lock` guards `validUntil`.
public final class HeldLease: @unchecked Sendable {
  public let lease: StreamLease
  private let lock = NSLock()
  private var validUntil: Date

  init(_ lease: StreamLease, seconds: Double) {
    self.lease = lease
    validUntil = Date().addingTimeInterval(seconds * 0.8)
  }

  var isHeld: Bool { lock.withLock { Date() < validUntil } }

  func renewed(seconds: Double) { lock.withLock { validUntil = Date().addingTimeInterval(seconds * 0.8) } }

  func lost() { lock.withLock { validUntil = .distantPast } }
}

/// Writes window records, one line each, from every stream's thread, then saves the stream's position: a record is
/// written before its position moves, so a crash between the two makes the window cut again (the same key and
/// bytes), never lost. A follower whose lease is gone writes nothing. `lock` guards `writer` and `written`.
public final class WindowRecords: @unchecked Sendable {
  private let lock = NSLock()
  private let writer: RecordWriter
  private let positions: PositionStore
  private var written = 0

  public init(writer: RecordWriter, positions: PositionStore) {
    self.writer = writer
    self.positions = positions
  }

  public var count: Int { lock.withLock { written } }

  func emit(_ record: Record, position: FollowPosition, stream: String, lease: HeldLease?) throws {
    try lock.withLock {
      if let lease, !lease.isHeld { throw LeaseLost(stream: stream) }
      try writer.write(record)
      written += 1
    }
    try positions.save(position, for: stream, lease: lease?.lease)
  }
}

/// Everything a stream's follower needs from the process.
public struct FollowContext: Sendable {
  public let settings: FollowSettings
  public let records: WindowRecords
  public let positions: PositionStore
  /// Each stream's own storage (its own upload queue).
  public let makeStorage: @Sendable () throws -> WindowStorage
  public let diagnostics: Diagnostics
  /// Called when the process cannot go on (its stdout closed): every follower stops.
  public let fail: @Sendable (Error) -> Void

  public init(
    settings: FollowSettings, records: WindowRecords, positions: PositionStore,
    makeStorage: @escaping @Sendable () throws -> WindowStorage, diagnostics: Diagnostics,
    fail: @escaping @Sendable (Error) -> Void
  ) {
    self.settings = settings
    self.records = records
    self.positions = positions
    self.makeStorage = makeStorage
    self.diagnostics = diagnostics
    self.fail = fail
  }
}

/// A follower's stop request and its state for the health file, read from other threads. `condition` guards every
/// `var`.
final class FollowControl: @unchecked Sendable {
  private let condition = NSCondition()
  private var stopped = false
  private var state = "starting"
  private var millisBehind: Int64?
  private var windows = 0

  var isStopped: Bool { wasAskedToStop || ShutdownSignal.shared.isRequested }

  /// `stop()` was called (not a shutdown of the whole process).
  var wasAskedToStop: Bool { condition.withLock { stopped } }

  func stop() {
    condition.withLock {
      stopped = true
      condition.broadcast()
    }
  }

  /// Waits `seconds`, calling `tick` about once a second; returns early once stopped.
  func sleep(_ seconds: Double, tick: () -> Void) {
    let deadline = Date().addingTimeInterval(seconds)
    while !isStopped, Date() < deadline {
      let slice = min(1, deadline.timeIntervalSinceNow)
      condition.withLock { if !stopped { _ = condition.wait(until: Date().addingTimeInterval(max(0, slice))) } }
      tick()
    }
  }

  func set(state: String? = nil, millisBehind: Int64? = nil, windowWritten: Bool = false) {
    condition.withLock {
      if let state { self.state = state }
      if let millisBehind { self.millisBehind = millisBehind }
      if windowWritten { windows += 1 }
    }
  }

  var health: [String: JSONValue] {
    condition.withLock {
      var fields: [String: JSONValue] = ["state": .string(state), "windows": .integer(Int64(windows))]
      if let millisBehind { fields["seconds_behind"] = .double(Double(millisBehind) / 1000) }
      return fields
    }
  }
}
