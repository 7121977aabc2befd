internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale
import Foundation

/// Joins MP4 pieces of one stream (consecutive GetClip answers) into one MP4 by stream copy: no re-encoding.
/// Each piece's timestamps are moved to start where the previous piece ended, so the result plays as one clip.
/// The pieces must carry the same streams in the same order with the same codecs (one camera's output does).
public enum ClipJoiner {
  public static func join(_ pieces: [String], into output: String) throws {
    guard let first = pieces.first else { throw MediaError("nothing to join") }
    let template = try MediaInput(path: first)
    let writer = try MediaOutput(path: output)
    var outputIndex: [Int: Int] = [:]
    var kinds: [AVMediaType] = []
    for index in 0..<template.streamCount {
      let stream = template.stream(index)
      let type = stream.pointee.codecpar.pointee.codec_type
      guard type == AVMEDIA_TYPE_VIDEO || type == AVMEDIA_TYPE_AUDIO else { continue }
      outputIndex[index] = try writer.addStream(copying: stream)
      kinds.append(type)
    }
    guard !outputIndex.isEmpty else { throw MediaError("\(first) has no audio or video stream to join") }
    try writer.writeHeader()

    let packet = Packet()
    var offset = 0.0
    var lastDTS: [Int: Int64] = [:]
    for (pieceNumber, path) in pieces.enumerated() {
      let input = pieceNumber == 0 ? template : try MediaInput(path: path)
      let mapping = try streamMapping(input, kinds: kinds, path: path)
      let nopts = clipline_av_nopts_value()
      let origin =
        input.context.pointee.start_time == nopts
        ? 0 : Double(input.context.pointee.start_time) / Double(AV_TIME_BASE)
      var pieceEnd = offset
      while try input.read(into: packet) {
        guard let target = mapping[packet.streamIndex] else { continue }
        let inBase = input.timeBase(packet.streamIndex)
        let outBase = writer.timeBase(target)
        let shift = ticks(offset - origin, outBase)
        let raw = packet.pointer
        let end = seconds((raw.pointee.pts == nopts ? raw.pointee.dts : raw.pointee.pts) + raw.pointee.duration, inBase)
        pieceEnd = max(pieceEnd, end - origin + offset)
        av_packet_rescale_ts(raw, inBase, outBase)
        if raw.pointee.pts != nopts { raw.pointee.pts += shift }
        if raw.pointee.dts != nopts { raw.pointee.dts += shift }
        // Pieces meet at a keyframe; a rounding tick must not make decode times run backwards.
        if raw.pointee.dts != nopts, let previous = lastDTS[target], raw.pointee.dts <= previous {
          let bump = previous + 1 - raw.pointee.dts
          raw.pointee.dts += bump
          if raw.pointee.pts != nopts, raw.pointee.pts < raw.pointee.dts { raw.pointee.pts = raw.pointee.dts }
        }
        if raw.pointee.dts != nopts { lastDTS[target] = raw.pointee.dts }
        raw.pointee.stream_index = Int32(target)
        raw.pointee.pos = -1
        try writer.write(packet)
      }
      offset = pieceEnd
    }
    try writer.finish()
  }

  /// Input stream → output stream, by kind and order (the first video to the first video, …).
  private static func streamMapping(_ input: MediaInput, kinds: [AVMediaType], path: String) throws -> [Int: Int] {
    var mapping: [Int: Int] = [:]
    var used = Set<Int>()
    for index in 0..<input.streamCount {
      let type = input.stream(index).pointee.codecpar.pointee.codec_type
      guard let target = kinds.indices.first(where: { kinds[$0] == type && !used.contains($0) }) else { continue }
      mapping[index] = target
      used.insert(target)
    }
    guard used.count == kinds.count else {
      throw MediaError("\(path) does not carry the same audio and video streams as the first piece; cannot join")
    }
    return mapping
  }
}
