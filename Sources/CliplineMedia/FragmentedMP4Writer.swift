internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale
import CliplineSystem
import Foundation

/// A live window written as a fragmented MP4 while its media arrives: the stream parameters (and the empty index)
/// first, then one fragment per group of frames handed over, each leaving at once through `consume`, then the
/// fragment index at `finish()`. Nothing is ever rewritten, so an upload can send the bytes as they come; the same
/// frames make the same bytes. The stream parameters come from libavformat's own Matroska demuxer reading a small
/// Matroska header (the producer's tracks and a few frames), so any codec Matroska carries is described right.
public final class FragmentedMP4Writer {
  /// One frame, its times in nanoseconds from the file's start.
  public struct Frame: Sendable {
    /// The Matroska track it belongs to.
    public let track: Int
    public let pts: Int64
    public let dts: Int64
    /// How long it lasts (the muxer would otherwise guess the last one of each fragment); 0 when unknown.
    public let duration: Int64
    public let isKeyframe: Bool
    public let data: [UInt8]

    public init(track: Int, pts: Int64, dts: Int64, duration: Int64, isKeyframe: Bool, data: [UInt8]) {
      self.track = track
      self.pts = pts
      self.dts = dts
      self.duration = duration
      self.isKeyframe = isKeyframe
      self.data = data
    }
  }

  private let tracks: Tracks
  private let output: MediaOutput
  private let packet = Packet()
  private static let nanoseconds = AVRational(num: 1, den: 1_000_000_000)

  /// The stream parameters libavformat read from a small Matroska header: made once, they serve every file whose
  /// tracks are the same (a camera's windows, until its CodecPrivate changes), so the header is not probed again
  /// per file.
  public final class Tracks {
    fileprivate let input: MediaInput
    /// The input stream of each Matroska track written (video and audio; other tracks are left out).
    fileprivate let streamOfTrack: [(track: Int, stream: Int)]

    /// `matroskaHeader` is a Matroska document with the tracks and some of their frames, `tracks` the track of each
    /// of those frames in order (libavformat numbers streams its own way: the k-th packet it reads is the k-th
    /// frame, which says which stream is which track); `label` names it in messages.
    public init(matroskaHeader: [UInt8], tracks: [Int], label: String) throws {
      let input = try MediaInput(
        path: label, reader: try AVIOSourceReader.open(BytesInMemory(name: label, bytes: matroskaHeader)))
      self.input = input
      streamOfTrack = try Self.streams(of: input, tracks: tracks).filter { _, index in
        let kind = input.stream(index).pointee.codecpar.pointee.codec_type
        return kind == AVMEDIA_TYPE_VIDEO || kind == AVMEDIA_TYPE_AUDIO
      }
      guard !streamOfTrack.isEmpty else { throw MediaError("\(label) has no video or audio track") }
    }

    /// Each track's input stream, in the order libavformat made them, from the packets of the probe's frames.
    private static func streams(of input: MediaInput, tracks: [Int]) throws -> [(track: Int, stream: Int)] {
      var streamOfTrack: [Int: Int] = [:]
      let packet = Packet()
      var index = 0
      while index < tracks.count, streamOfTrack.count < input.streamCount, try input.read(into: packet) {
        if streamOfTrack[tracks[index]] == nil { streamOfTrack[tracks[index]] = packet.streamIndex }
        index += 1
      }
      return streamOfTrack.sorted { $0.value < $1.value }.map { ($0.key, $0.value) }
    }
  }

  /// The output stream of each Matroska track written.
  private let outputOfTrack: [Int: Int]

  /// A file with the streams `tracks` describe; `label` names it in messages.
  public init(tracks: Tracks, label: String, consume: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
    self.tracks = tracks
    output = try MediaOutput(forward: try ForwardOutput(label: label, consume: consume))
    var outputOfTrack: [Int: Int] = [:]
    do {
      for (track, index) in tracks.streamOfTrack {
        outputOfTrack[track] = try output.addStream(copying: tracks.input.stream(index))
      }
      try output.writeHeader()
    } catch {
      output.discard()
      throw error
    }
    self.outputOfTrack = outputOfTrack
  }

  /// A file with the streams of `matroskaHeader`'s tracks (see `Tracks`), probed for it alone.
  public convenience init(
    matroskaHeader: [UInt8], tracks: [Int], label: String, consume: @escaping (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    try self.init(
      tracks: try Tracks(matroskaHeader: matroskaHeader, tracks: tracks, label: label), label: label,
      consume: consume)
  }

  /// Writes one fragment's frames (in decode order) and sends the fragment on.
  public func writeFragment(_ frames: [Frame]) throws {
    for frame in frames {
      guard let stream = outputOfTrack[frame.track], !frame.data.isEmpty else { continue }
      packet.unreference()
      try check(av_new_packet(packet.pointer, Int32(frame.data.count)), "av_new_packet")
      frame.data.withUnsafeBytes { bytes in
        UnsafeMutableRawPointer(packet.pointer.pointee.data!).copyMemory(
          from: bytes.baseAddress!, byteCount: bytes.count)
      }
      let timeBase = output.timeBase(stream)
      packet.pointer.pointee.pts = av_rescale_q(frame.pts, Self.nanoseconds, timeBase)
      packet.pointer.pointee.dts = av_rescale_q(frame.dts, Self.nanoseconds, timeBase)
      packet.pointer.pointee.duration = av_rescale_q(frame.duration, Self.nanoseconds, timeBase)
      packet.pointer.pointee.stream_index = Int32(stream)
      packet.pointer.pointee.flags = frame.isKeyframe ? AV_PKT_FLAG_KEY : 0
      packet.pointer.pointee.pos = -1
      try output.write(packet)
    }
    try output.endFragment()
  }

  /// Writes the fragment index; returns the file's size and SHA-256.
  public func finish() throws -> WrittenFile { try output.finish() }

  /// Abandons the file (its consumer drops what it received).
  public func discard() { output.discard() }
}
