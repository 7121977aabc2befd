/// Writes the little Matroska a live window needs: one small document holding a fragment's tracks and first frames,
/// for libavformat's Matroska demuxer to describe the streams from (RFC 8794, RFC 9559).
public enum MKVWriter {
  public static func element(_ id: UInt32, _ payload: [UInt8]) -> [UInt8] {
    idBytes(id) + size(UInt64(payload.count)) + payload
  }

  public static func unsigned(_ id: UInt32, _ value: UInt64) -> [UInt8] {
    var bytes: [UInt8] = []
    var rest = value
    repeat {
      bytes.insert(UInt8(truncatingIfNeeded: rest), at: 0)
      rest >>= 8
    } while rest > 0
    return element(id, bytes)
  }

  public static func string(_ id: UInt32, _ text: String) -> [UInt8] { element(id, Array(text.utf8)) }

  /// A Segment or Cluster header whose size says "unknown": its end is where something else begins.
  public static func openEnded(_ id: UInt32) -> [UInt8] {
    idBytes(id) + [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
  }

  public static var ebmlHeader: [UInt8] {
    element(
      MKVElement.ebml,
      unsigned(0x4286, 1) + unsigned(0x42F7, 1) + unsigned(0x42F2, 4) + unsigned(0x42F3, 8)
        + string(0x4282, "matroska") + unsigned(0x4287, 4) + unsigned(0x4285, 2))
  }

  public static func info(timecodeScale: UInt64) -> [UInt8] {
    element(MKVElement.info, unsigned(MKVElement.timecodeScale, timecodeScale))
  }

  public static func tags(_ pairs: [(String, String)]) -> [UInt8] {
    let simple = pairs.flatMap { name, value in
      element(MKVElement.simpleTag, string(MKVElement.tagName, name) + string(MKVElement.tagString, value))
    }
    return element(MKVElement.tags, element(MKVElement.tag, element(0x63C0, []) + simple))
  }

  public static func simpleBlock(track: Int, relative: Int16, keyframe: Bool, data: [UInt8]) -> [UInt8] {
    let head =
      size(UInt64(track)) + [UInt8(truncatingIfNeeded: UInt16(bitPattern: relative) >> 8)]
      + [UInt8(truncatingIfNeeded: UInt16(bitPattern: relative)), keyframe ? 0x80 : 0]
    return element(MKVElement.simpleBlock, head + data)
  }

  /// A document with `header`'s tracks and the first of `frames` (those within a block's reach of the first, and
  /// about `budget` bytes of them): enough for a demuxer to learn every stream's parameters. Also the track of each
  /// frame put in, in order.
  public static func probeDocument(
    _ header: KVSFragmentHeader, frames: [MKVFrame], budget: Int = 2 << 20
  ) -> (document: [UInt8], tracks: [Int]) {
    let origin = frames.map(\.timecode).min() ?? 0
    var blocks: [UInt8] = []
    var tracks: [Int] = []
    for frame in frames where frame.timecode - origin <= Int64(Int16.max) && !frame.data.isEmpty {
      guard blocks.count < budget else { break }
      blocks += simpleBlock(
        track: frame.track, relative: Int16(frame.timecode - origin), keyframe: frame.isKeyframe, data: frame.data)
      tracks.append(frame.track)
    }
    let document =
      ebmlHeader + openEnded(MKVElement.segment) + info(timecodeScale: header.timecodeScale)
      + element(MKVElement.tracks, header.tracks)
      + element(MKVElement.cluster, unsigned(MKVElement.timecode, UInt64(max(0, origin))) + blocks)
    return (document, tracks)
  }

  static func idBytes(_ id: UInt32) -> [UInt8] {
    let length = max(1, (32 - id.leadingZeroBitCount + 7) / 8)
    return (0..<length).reversed().map { UInt8(truncatingIfNeeded: id >> (8 * UInt32($0))) }
  }

  /// The shortest EBML size for `value` (each length's all-ones value means "unknown", so it is skipped).
  static func size(_ value: UInt64) -> [UInt8] {
    var length = 1
    while length < 8 && value >= (UInt64(1) << (7 * UInt64(length))) - 1 { length += 1 }
    let marked = value | (UInt64(1) << (7 * UInt64(length)))
    return (0..<length).reversed().map { UInt8(truncatingIfNeeded: marked >> (8 * UInt64($0))) }
  }
}

extension KVSFragmentHeader {
  /// The type of each track (1 video, 2 audio, as Matroska numbers them), from the Tracks payload.
  public var trackTypes: [Int: Int] {
    var types: [Int: Int] = [:]
    for entry in ebmlChildren(tracks[...]) ?? [] where entry.id == 0xAE {
      let fields = ebmlChildren(entry.payload) ?? []
      guard let number = fields.first(where: { $0.id == 0xD7 }), let type = fields.first(where: { $0.id == 0x83 })
      else { continue }
      types[Int(ebmlUnsigned(number.payload))] = Int(ebmlUnsigned(type.payload))
    }
    return types
  }
}
