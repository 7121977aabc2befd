internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale

/// The NAL units of an H.264 or HEVC packet: length-prefixed (MP4, MKV: the stream's extradata says how long the
/// prefix is) or behind Annex B start codes (MPEG-TS, raw streams).
struct NALUnits {
  /// Bytes in each unit's length prefix; nil for Annex B.
  let lengthSize: Int?

  init(parameters: AVCodecParameters) {
    let extra = parameters.extradata.map { UnsafeBufferPointer(start: $0, count: Int(parameters.extradata_size)) }
    switch parameters.codec_id {
    case AV_CODEC_ID_H264 where (extra?.count ?? 0) >= 7 && extra![0] == 1: lengthSize = Int(extra![4] & 3) + 1
    case AV_CODEC_ID_HEVC where (extra?.count ?? 0) >= 23 && extra![0] == 1: lengthSize = Int(extra![21] & 3) + 1
    default: lengthSize = nil
    }
  }

  /// Each unit, header first; a unit whose length overruns the packet ends the list.
  func payloads(of bytes: UnsafeBufferPointer<UInt8>) -> [Slice<UnsafeBufferPointer<UInt8>>] {
    guard let lengthSize else { return Self.annexB(bytes) }
    var units: [Slice<UnsafeBufferPointer<UInt8>>] = []
    var offset = 0
    while offset + lengthSize <= bytes.count {
      let length = bytes[offset..<(offset + lengthSize)].reduce(0) { $0 << 8 | Int($1) }
      offset += lengthSize
      guard length > 0, offset + length <= bytes.count else { break }
      units.append(bytes[offset..<(offset + length)])
      offset += length
    }
    return units
  }

  private static func annexB(_ bytes: UnsafeBufferPointer<UInt8>) -> [Slice<UnsafeBufferPointer<UInt8>>] {
    var starts: [Int] = []
    var index = 0
    while index + 2 < bytes.count {
      if bytes[index] == 0, bytes[index + 1] == 0, bytes[index + 2] == 1 {
        starts.append(index + 3)
        index += 3
      } else {
        index += 1
      }
    }
    return starts.enumerated().map { position, start in
      var end = position + 1 < starts.count ? starts[position + 1] - 3 : bytes.count
      while end > start, bytes[end - 1] == 0 { end -= 1 }  // a four-byte start code's leading zero
      return bytes[start..<end]
    }
  }

  /// The unit's bytes without emulation prevention (a 3 after two zeros), up to `limit` bytes.
  static func unescaped(_ unit: Slice<UnsafeBufferPointer<UInt8>>, limit: Int = 4096) -> [UInt8] {
    var bytes: [UInt8] = []
    var zeros = 0
    for byte in unit {
      if bytes.count >= limit { break }
      if zeros >= 2 && byte == 3 {
        zeros = 0
        continue
      }
      zeros = byte == 0 ? zeros + 1 : 0
      bytes.append(byte)
    }
    return bytes
  }
}

/// Reads Exp-Golomb codes, most significant bit first.
struct BitReader {
  private let bytes: [UInt8]
  private var position = 0

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  mutating func bit() -> Int? {
    guard position < bytes.count * 8 else { return nil }
    defer { position += 1 }
    return Int(bytes[position / 8] >> (7 - UInt8(position % 8))) & 1
  }

  /// ue(v); nil past the end or beyond 31 leading zeros.
  mutating func unsignedExpGolomb() -> Int? {
    var zeros = 0
    while let bit = bit(), bit == 0 {
      zeros += 1
      if zeros > 31 { return nil }
    }
    var value = 0
    for _ in 0..<zeros {
      guard let bit = bit() else { return nil }
      value = value << 1 | bit
    }
    return (1 << zeros) - 1 + value
  }
}

/// H.264 supplemental enhancement information: only the recovery point is read.
enum H264SEI {
  /// recovery_frame_cnt of the SEI message's recovery point (payload type 6), or nil when it carries none.
  static func recoveryFrameCount(_ payload: [UInt8]) -> Int? {
    var offset = 0
    func number() -> Int? {
      var value = 0
      while offset < payload.count {
        let byte = Int(payload[offset])
        offset += 1
        value += byte
        if byte != 0xFF { return value }
      }
      return nil
    }
    // Messages follow each other until the RBSP's stop bit (0x80).
    while offset < payload.count, payload[offset] != 0x80 {
      guard let type = number(), let size = number(), offset + size <= payload.count else { return nil }
      if type == 6 {
        var bits = BitReader(Array(payload[offset..<(offset + size)]))
        return bits.unsignedExpGolomb()
      }
      offset += size
    }
    return nil
  }
}
