import CliplineBlobStores
import CliplineKVS
import CliplineMedia
import CliplineRecords
import CliplineSystem
import Foundation

/// One window part being written: a fragmented MP4 made from its fragments as they come, its bytes going into
/// storage as they are made; at the end, the record `kvs-clip` would write for the same window and destinations, plus
/// which fragments it holds and how much of the window had no media.
final class WindowOutput {
  let window: AlignedWindow
  let start: KVSMillis
  private let clock: KVSTimestampKind
  private let task: Record
  private let sink: WindowSink
  private let writer: FragmentedMP4Writer
  private var timeline: FragmentTimeline
  private var placed: [(number: FragmentNumber, time: KVSMillis, start: Int64, duration: Int64)] = []
  private var finished = false

  /// The file name a window part is stored under: its start time in key form, as `kvs-clip` names a clip by its
  /// task's.
  static func fileName(_ task: Record) throws -> String {
    BlobKeyPolicy.keyForm(try task.requireString("start_time")) + ".mp4"
  }

  init(
    task: Record, window: AlignedWindow, start: KVSMillis, clock: KVSTimestampKind, first: KVSMediaFragment,
    storage: WindowStorage, probed: inout ProbedTracks
  ) throws {
    self.task = task
    self.window = window
    self.start = start
    self.clock = clock
    timeline = FragmentTimeline(largestGap: (window.end.value - window.start.value) * 1_000_000)
    let name = try Self.fileName(task)
    let sink = try storage.open(task, name: name)
    do {
      writer = try FragmentedMP4Writer(tracks: try probed.tracks(of: first, label: name), label: name) {
        try sink.write($0)
      }
    } catch {
      sink.abandon()
      throw error
    }
    self.sink = sink
  }

  deinit { if !finished { abandon() } }

  var fragmentCount: Int { placed.count }

  func append(_ fragment: KVSMediaFragment) throws {
    let position = timeline.place(fragment)
    try writer.writeFragment(position.frames)
    placed.append((fragment.header.number, fragment.header.time(clock), position.start, position.duration))
  }

  /// Ends the file and waits for storage; the record to write.
  func finish() throws -> Record {
    finished = true
    let written: WrittenFile
    do {
      written = try writer.finish()
    } catch {
      sink.abandon()
      throw error
    }
    let stored = try sink.finish(written)
    return try stored.merging(fields())
  }

  func abandon() {
    finished = true
    writer.discard()
    sink.abandon()
  }

  private func fields() -> WindowFields {
    let first = placed.first!
    let last = placed.last!
    let seconds = Double(last.start + last.duration) / 1e9
    let clipStart = Date(timeIntervalSince1970: first.time.seconds)
    return WindowFields(
      clipStartTime: RFC3339.format(clipStart, fractionalDigits: 3),
      clipEndTime: RFC3339.format(clipStart.addingTimeInterval(seconds), fractionalDigits: 3),
      clipDuration: (seconds * 1000).rounded() / 1000, firstFragmentNumber: first.number.text,
      lastFragmentNumber: last.number.text, fragmentCount: placed.count, missingSeconds: missingSeconds())
  }

  /// The part's time with no media: before its first fragment (beyond what the window before still covers, at most a
  /// fragment), between fragments, and after its last. Small differences are arrival jitter, not missing media.
  private func missingSeconds() -> Double? {
    let longest = placed.map(\.duration).max() ?? 0
    let tolerance = max(250, longest / 2_000_000)
    var missing: Int64 = 0
    let head = placed[0].time.value - start.value
    if head > longest / 1_000_000 + tolerance { missing += head }
    for (earlier, later) in zip(placed, placed.dropFirst()) {
      let gap = later.time.value - (earlier.time.value + earlier.duration / 1_000_000)
      if gap > tolerance { missing += gap }
    }
    let last = placed[placed.count - 1]
    let tail = window.end.value - (last.time.value + last.duration / 1_000_000)
    if tail > tolerance { missing += tail }
    return missing > 0 ? Double(missing) / 1000 : nil
  }
}

/// What a window record adds to the task besides storage's fields: `kvs-clip`'s clip times, and the fragments'.
struct WindowFields: Encodable {
  let clipStartTime: String
  let clipEndTime: String
  let clipDuration: Double
  let firstFragmentNumber: String
  let lastFragmentNumber: String
  let fragmentCount: Int
  let missingSeconds: Double?

  enum CodingKeys: String, CodingKey {
    case clipStartTime = "clip_start_time"
    case clipEndTime = "clip_end_time"
    case clipDuration = "clip_duration"
    case firstFragmentNumber = "first_fragment_number"
    case lastFragmentNumber = "last_fragment_number"
    case fragmentCount = "fragment_count"
    case missingSeconds = "missing_seconds"
  }
}
