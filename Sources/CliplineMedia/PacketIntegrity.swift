internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale

/// Damage the demuxer lets through. A file overwritten in the middle still demuxes (MP4 reads samples by its
/// index), so copy mode would pass the damage on in a chunk that does not decode. This catches what can be seen
/// without decoding: packets the demuxer flags corrupt, empty video packets, and — for H.264 and HEVC in
/// length-prefixed form (MP4, MKV) — NAL units whose lengths do not add up to the packet or whose header is invalid.
struct PacketIntegrity {
  private let lengthSize: Int?
  private let isHEVC: Bool

  init(video stream: UnsafeMutablePointer<AVStream>) {
    let parameters = stream.pointee.codecpar.pointee
    isHEVC = parameters.codec_id == AV_CODEC_ID_HEVC
    lengthSize = NALUnits(parameters: parameters).lengthSize
  }

  /// The demuxer's flag is the only complaint: the last packet of a file cut short has it too.
  func isOnlyFlagged(_ packet: Packet) -> Bool {
    packet.pointer.pointee.flags & AV_PKT_FLAG_CORRUPT != 0
  }

  /// What is wrong with `packet`, or nil.
  func damage(in packet: Packet, isVideo: Bool) -> String? {
    let pointer = packet.pointer.pointee
    if pointer.flags & AV_PKT_FLAG_CORRUPT != 0 { return "the demuxer marked a packet corrupt" }
    guard isVideo else { return nil }
    guard pointer.size > 0, let data = pointer.data else { return "an empty video packet" }
    guard let lengthSize else { return nil }
    let bytes = UnsafeBufferPointer(start: data, count: Int(pointer.size))
    var offset = 0
    while offset < bytes.count {
      guard offset + lengthSize <= bytes.count else { return "a NAL unit length is cut off" }
      var length = 0
      for index in 0..<lengthSize { length = length << 8 | Int(bytes[offset + index]) }
      offset += lengthSize
      guard length > 0, offset + length <= bytes.count else { return "a NAL unit overruns its packet" }
      let header = bytes[offset]
      if header & 0x80 != 0 { return "a NAL unit header is invalid" }
      if isHEVC, length < 2 || bytes[offset + 1] & 0x07 == 0 { return "a NAL unit header is invalid" }
      offset += length
    }
    return nil
  }
}
