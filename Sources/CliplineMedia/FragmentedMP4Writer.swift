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

  private let input: MediaInput
  private let output: MediaOutput
  /// The output stream of each Matroska track written (video and audio; other tracks are left out).
  private let outputOfTrack: [Int: Int]
  private let packet = Packet()
  private static let nanoseconds = AVRational(num: 1, den: 1_000_000_000)

  /// `matroskaHeader` is a Matroska document with the tracks and some of their frames, `tracks` the track of each
  /// of those frames in order (libavformat numbers streams its own way: the k-th packet it reads is the k-th frame,
  /// which says which stream is which track); `label` names the window in messages.
  public init(
    matroskaHeader: [UInt8], tracks: [Int], label: String, consume: @escaping (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    input = try MediaInput(
      path: label, reader: try AVIOSourceReader.open(BytesInMemory(name: label, bytes: matroskaHeader)))
    output = try MediaOutput(forward: try ForwardOutput(label: label, consume: consume))
    var outputOfTrack: [Int: Int] = [:]
    do {
      for (track, index) in try Self.streams(of: input, tracks: tracks) {
        let stream = input.stream(index)
        let kind = stream.pointee.codecpar.pointee.codec_type
        guard kind == AVMEDIA_TYPE_VIDEO || kind == AVMEDIA_TYPE_AUDIO else { continue }
        outputOfTrack[track] = try output.addStream(copying: stream)
      }
      guard !outputOfTrack.isEmpty else { throw MediaError("\(label) has no video or audio track") }
      try output.writeHeader()
    } catch {
      output.discard()
      throw error
    }
    self.outputOfTrack = outputOfTrack
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
