import CliplineKVS
import CliplineMedia

/// Puts the fragments of one window part on its file's timeline, from the fragments alone, so the same fragments
/// always make the same file. A fragment's frames keep their spacing (block timecodes); the fragment starts where the
/// producer's clock says, after the previous one, unless that clock jumped (a camera reconnected: its timecodes start
/// again, or leap), where the server's arrival times space them instead; fragments never overlap. Matroska stores
/// presentation times only: decode times are the presentation times in order, moved back by the reordering B-frames
/// need, so they rise and never pass a frame's presentation time.
struct FragmentTimeline {
  struct Placed {
    let frames: [FragmentedMP4Writer.Frame]
    /// Nanoseconds from the file's start.
    let start: Int64
    let duration: Int64
  }

  private static let millisecond: Int64 = 1_000_000
  /// A producer gap larger than this (nanoseconds) is a clock that leapt, not a camera that paused.
  let largestGap: Int64
  private var previous: (producer: Int64, server: Int64, start: Int64, duration: Int64)?
  private var reorderDelay: [Int: Int64] = [:]
  private var lastDecodeTime: [Int: Int64] = [:]

  init(largestGap: Int64) { self.largestGap = largestGap }

  mutating func place(_ fragment: KVSMediaFragment) -> Placed {
    let header = fragment.header
    let scale = Int64(clamping: header.timecodeScale)
    let origin = fragment.frames.map(\.timecode).min() ?? 0
    let times = fragment.frames.map { ($0.timecode - origin) * scale }
    let types = header.trackTypes
    let duration = Self.duration(fragment.frames, times: times, types: types)
    let start = startOf(header)
    var decodeTimes = times
    for track in Set(fragment.frames.map(\.track)) where types[track] == 1 {
      let indexes = fragment.frames.indices.filter { fragment.frames[$0].track == track }
      let presented = indexes.map { times[$0] }
      let ordered = presented.sorted()
      let needed = zip(ordered, presented).map { $0 - $1 }.max() ?? 0
      let delay = max(reorderDelay[track] ?? 0, needed)
      reorderDelay[track] = delay
      for (position, index) in indexes.enumerated() { decodeTimes[index] = ordered[position] - delay }
    }
    for (index, frame) in fragment.frames.enumerated() {
      var decode = start + decodeTimes[index]
      if let last = lastDecodeTime[frame.track], decode <= last { decode = last + 1 }
      lastDecodeTime[frame.track] = decode
      decodeTimes[index] = decode
    }
    let durations = Self.durations(fragment.frames, decodeTimes: decodeTimes, times: times)
    let frames = fragment.frames.indices.map { index in
      let frame = fragment.frames[index]
      return FragmentedMP4Writer.Frame(
        track: frame.track, pts: max(start + times[index], decodeTimes[index]), dts: decodeTimes[index],
        duration: durations[index], isKeyframe: frame.isKeyframe, data: frame.data)
    }
    previous = (header.producerTime.value, header.serverTime.value, start, duration)
    return Placed(frames: frames, start: start, duration: duration)
  }

  private func startOf(_ header: KVSFragmentHeader) -> Int64 {
    guard let previous else { return 0 }
    let contiguous = previous.start + previous.duration
    let byProducer = (header.producerTime.value - previous.producer) * Self.millisecond
    if byProducer > 0, previous.start + byProducer >= contiguous - Self.millisecond,
      byProducer - previous.duration <= largestGap
    {
      return max(previous.start + byProducer, contiguous)
    }
    let byServer = (header.serverTime.value - previous.server) * Self.millisecond
    return max(previous.start + byServer, contiguous)
  }

  /// Each frame lasts until the next of its track is decoded; the last of a track in the fragment as long as the
  /// track's smallest spacing (0, for the muxer to guess, when the track has one frame).
  private static func durations(_ frames: [MKVFrame], decodeTimes: [Int64], times: [Int64]) -> [Int64] {
    var durations = [Int64](repeating: 0, count: frames.count)
    for track in Set(frames.map(\.track)) {
      let indexes = frames.indices.filter { frames[$0].track == track }
      let ordered = indexes.map { times[$0] }.sorted()
      let step = zip(ordered.dropFirst(), ordered).map { $0 - $1 }.filter { $0 > 0 }.min() ?? 0
      for (position, index) in indexes.enumerated() {
        let next = position + 1 < indexes.count ? decodeTimes[indexes[position + 1]] : nil
        durations[index] = next.map { max(0, $0 - decodeTimes[index]) } ?? step
      }
    }
    return durations
  }

  /// From the first frame to the end of the last: a video frame lasts as long as the video's smallest spacing.
  private static func duration(_ frames: [MKVFrame], times: [Int64], types: [Int: Int]) -> Int64 {
    let video = frames.indices.filter { types[frames[$0].track] == 1 }
    let counted = video.isEmpty ? Array(frames.indices) : video
    let ordered = counted.map { times[$0] }.sorted()
    let step = zip(ordered.dropFirst(), ordered).map { $0 - $1 }.filter { $0 > 0 }.min() ?? 0
    return (ordered.last ?? 0) + step
  }
}
