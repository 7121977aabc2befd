internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale

/// What a packet the container flags as a keyframe is worth as the first picture of a chunk, read from its
/// bitstream: the flag alone also marks open-GOP I-frames and intra-refresh recovery points, after which pictures
/// are lost when decoding starts there.
enum RandomAccess: Equatable {
  /// Decodes alone, and so does every picture after it in decode order (H.264 IDR, HEVC IDR/BLA, MPEG-2 I of a
  /// closed GOP).
  case independent
  /// Decodes alone, and so does every picture shown after it; pictures decoded after it but shown before it (leading
  /// pictures) may need the GOP before (HEVC CRA, MPEG-2 I of an open GOP, any other codec's keyframe).
  case unlessLeading
  /// Does not decode alone: the reason, for the message.
  case dependent(String)
}

/// Reads the few header bits that tell H.264, HEVC and MPEG-2 random access points apart.
struct RandomAccessReader {
  private let codec: AVCodecID
  private let nalUnits: NALUnits

  init(video stream: UnsafeMutablePointer<AVStream>) {
    let parameters = stream.pointee.codecpar.pointee
    codec = parameters.codec_id
    nalUnits = NALUnits(parameters: parameters)
  }

  func classify(_ packet: Packet) -> RandomAccess {
    guard let data = packet.pointer.pointee.data, packet.pointer.pointee.size > 0 else { return .unlessLeading }
    let bytes = UnsafeBufferPointer(start: data, count: Int(packet.pointer.pointee.size))
    switch codec {
    case AV_CODEC_ID_H264: return h264(bytes)
    case AV_CODEC_ID_HEVC: return hevc(bytes)
    case AV_CODEC_ID_MPEG2VIDEO, AV_CODEC_ID_MPEG1VIDEO: return mpegVideo(bytes)
    default: return .unlessLeading
    }
  }

  /// A leading picture decoders skip when decoding starts at the picture it leads (HEVC RASL); for other codecs
  /// any leading picture after a picture that is not `independent` may be lost.
  func isSkippedWhenLeading(_ packet: Packet) -> Bool {
    guard codec == AV_CODEC_ID_HEVC else { return true }
    guard let data = packet.pointer.pointee.data else { return true }
    let bytes = UnsafeBufferPointer(start: data, count: Int(packet.pointer.pointee.size))
    let types = nalUnits.payloads(of: bytes).compactMap { $0.first.map { Int($0 >> 1) & 0x3F } }
    return types.contains { $0 == 8 || $0 == 9 }
  }

  /// Only an IDR: after a non-IDR I-frame, even with a recovery point and no leading pictures, the pictures that
  /// follow may still mark or refer to pictures of the GOP before (decoders report "mmco: unref short failure").
  private func h264(_ bytes: UnsafeBufferPointer<UInt8>) -> RandomAccess {
    var intraOnly = true
    var recoveryFrames: Int?
    for unit in nalUnits.payloads(of: bytes) {
      guard let header = unit.first else { continue }
      switch header & 0x1F {
      case 5: return .independent
      case 1:
        var bits = BitReader(NALUnits.unescaped(unit.dropFirst(), limit: 16))
        _ = bits.unsignedExpGolomb()  // first_mb_in_slice
        let sliceType = bits.unsignedExpGolomb().map { $0 % 5 }
        if sliceType != 2 && sliceType != 4 { intraOnly = false }
      case 6: recoveryFrames = recoveryFrames ?? H264SEI.recoveryFrameCount(NALUnits.unescaped(unit.dropFirst()))
      default: continue
      }
    }
    if !intraOnly { return .dependent("a P-frame starting an intra refresh over \(recoveryFrames ?? 0) pictures") }
    return .dependent("an I-frame of an open GOP, not an IDR frame")
  }

  private func hevc(_ bytes: UnsafeBufferPointer<UInt8>) -> RandomAccess {
    for unit in nalUnits.payloads(of: bytes) {
      guard let header = unit.first else { continue }
      let type = Int(header >> 1) & 0x3F
      guard type < 32 else { continue }
      if (16...20).contains(type) { return .independent }
      if type == 21 { return .unlessLeading }
      return .dependent("a picture that is not a random access point (NAL unit type \(type))")
    }
    return .unlessLeading
  }

  /// An MPEG-1/2 I-frame after a GOP header with closed_gop set decodes with its leading B-frames.
  private func mpegVideo(_ bytes: UnsafeBufferPointer<UInt8>) -> RandomAccess {
    var index = 0
    while index + 7 < bytes.count {
      if bytes[index] == 0, bytes[index + 1] == 0, bytes[index + 2] == 1 {
        // A GOP header has 25 bits of time code, then closed_gop; the picture's own header comes after it.
        if bytes[index + 3] == 0xB8 { return bytes[index + 7] & 0x40 != 0 ? .independent : .unlessLeading }
        if bytes[index + 3] == 0x00 { break }
      }
      index += 1
    }
    return .unlessLeading
  }
}
