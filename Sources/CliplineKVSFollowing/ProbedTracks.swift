import CliplineKVS
import CliplineMedia

/// A camera's tracks as libavformat described them for one of its windows: the next window whose fragment carries
/// the same Tracks payload (CodecPrivate included) is written from them, not probed again. Probing decodes a picture
/// per track, once per window per camera; a camera's tracks change only when its codec parameters do.
struct ProbedTracks {
  private var last: (payload: [UInt8], timecodeScale: UInt64, tracks: FragmentedMP4Writer.Tracks)?

  init() {}

  /// The tracks of the window that `first` opens.
  mutating func tracks(of first: KVSMediaFragment, label: String) throws -> FragmentedMP4Writer.Tracks {
    let header = first.header
    if let last, last.payload == header.tracks, last.timecodeScale == header.timecodeScale { return last.tracks }
    last = nil
    let probe = MKVWriter.probeDocument(header, frames: Self.probeFrames(first.frames))
    let tracks = try FragmentedMP4Writer.Tracks(matroskaHeader: probe.document, tracks: probe.tracks, label: label)
    last = (header.tracks, header.timecodeScale, tracks)
    return tracks
  }

  /// What libavformat is shown to describe the tracks: the first frame of each (a fragment starts on a keyframe).
  /// Every frame more is decoded while it probes (seven of H.264's, to guess its decode delay).
  static func probeFrames(_ frames: [MKVFrame]) -> [MKVFrame] {
    var seen = Set<Int>()
    return frames.filter { !$0.data.isEmpty && seen.insert($0.track).inserted }
  }
}
