import CliplineKVS

/// A window on a stream's clock: `[start, end)`, aligned to a multiple of its length since the epoch, as
/// `kvs-discover --window` aligns its tasks, so a window here and a task there cover the same minute.
public struct AlignedWindow: Sendable, Equatable, CustomStringConvertible {
  public let index: Int64
  public let start: KVSMillis
  public let end: KVSMillis

  public init(containing time: KVSMillis, length: Int64) {
    // Floor division: a time before the epoch still lands in the window that holds it.
    let index = time.value >= 0 ? time.value / length : -((-time.value + length - 1) / length)
    self.index = index
    start = KVSMillis(index * length)
    end = KVSMillis((index + 1) * length)
  }

  public var description: String { "[\(start), \(end))" }
}

/// Decides which window each fragment belongs to and when a window is complete, from the fragments alone (so a
/// window cut again after a restart holds the same fragments): a fragment belongs to the window holding its start
/// time; a window is complete when a fragment of a later window announces itself (its leading tags, which arrive
/// as it starts, so a window closes the moment its last fragment ended), or, on the server's clock, when nothing
/// has come for the idle time past its end (a camera gone quiet). Fragments whose tracks differ (a codec change)
/// cannot share a file: the window is split there into parts, the later ones starting at their first fragment. A
/// window's first part starts at the window's start, unless the fragment before it was in the same window (a part
/// after a split, resumed after a restart).
struct WindowAssembler {
  enum Step: Equatable {
    /// The open part is complete.
    case close
    /// A part of `window` starts at `start` with the fragment being placed.
    case open(window: AlignedWindow, start: KVSMillis)
  }

  let length: Int64
  let clock: KVSTimestampKind
  private(set) var open: (window: AlignedWindow, tracks: [UInt8])?
  /// The window of the last fragment placed (after a restart, of the last fragment saved).
  var lastWindow: AlignedWindow?

  init(length: Int64, clock: KVSTimestampKind, resumingAfter time: KVSMillis? = nil) {
    self.length = length
    self.clock = clock
    lastWindow = time.map { AlignedWindow(containing: $0, length: length) }
  }

  func window(of header: KVSFragmentHeader) -> AlignedWindow {
    AlignedWindow(containing: header.time(clock), length: length)
  }

  /// A fragment announced itself: the open part closes if the fragment cannot be in it.
  mutating func started(_ header: KVSFragmentHeader) -> [Step] {
    guard let current = open else { return [] }
    let window = window(of: header)
    guard window.index > current.window.index || header.tracks != current.tracks else { return [] }
    open = nil
    return [.close]
  }

  /// A whole fragment: what happens before it is written into the open part (nothing when it belongs there).
  mutating func place(_ header: KVSFragmentHeader) -> [Step] {
    var steps = started(header)
    let window = window(of: header)
    // A clock that went back (a producer's) keeps the fragment in the open window: nothing is reordered.
    if let current = open, window.index <= current.window.index { return steps }
    let start = lastWindow?.index == window.index ? header.time(clock) : window.start
    open = (window, header.tracks)
    lastWindow = window
    steps.append(.open(window: window, start: start))
    return steps
  }

  /// Nothing has arrived for `quiet` milliseconds and it is `now` (on the server's clock): a window whose end is
  /// that long past is complete. Only the server's clock can be compared with ours; a producer's drifts.
  mutating func idle(now: KVSMillis, quiet: Int64, idleTimeout: Int64) -> [Step] {
    guard clock == .server, let current = open, quiet >= idleTimeout,
      now.value >= current.window.end.value + idleTimeout
    else { return [] }
    open = nil
    return [.close]
  }

  /// The open part is given up (a stop, a failure): nothing of it was written.
  mutating func abandon(restartingAfter time: KVSMillis?) {
    open = nil
    lastWindow = time.map { AlignedWindow(containing: $0, length: length) }
  }
}
