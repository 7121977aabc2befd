import CliplineSystem

/// Matroska's element ids that a GetMedia body is read through (RFC 9559).
enum MKVElement {
  static let ebml: UInt32 = 0x1A45_DFA3
  static let segment: UInt32 = 0x1853_8067
  static let seekHead: UInt32 = 0x114D_9B74
  static let info: UInt32 = 0x1549_A966
  static let timecodeScale: UInt32 = 0x2A_D7B1
  static let tracks: UInt32 = 0x1654_AE6B
  static let tags: UInt32 = 0x1254_C367
  static let tag: UInt32 = 0x7373
  static let simpleTag: UInt32 = 0x67C8
  static let tagName: UInt32 = 0x45A3
  static let tagString: UInt32 = 0x4487
  static let cluster: UInt32 = 0x1F43_B675
  static let cues: UInt32 = 0x1C53_BB6B
  static let chapters: UInt32 = 0x1043_A770
  static let attachments: UInt32 = 0x1941_A469
  static let timecode: UInt32 = 0xE7
  static let simpleBlock: UInt32 = 0xA3
  static let blockGroup: UInt32 = 0xA0
  static let block: UInt32 = 0xA1
  static let referenceBlock: UInt32 = 0xFB
  static let void: UInt32 = 0xEC
  static let crc32: UInt32 = 0xBF

  /// What may appear inside each container read through; anything else ends a container of unknown size.
  static let childrenOf: [UInt32: Set<UInt32>] = [
    segment: [seekHead, info, tracks, tags, cluster, cues, chapters, attachments, void, crc32],
    cluster: [timecode, simpleBlock, blockGroup, 0xA7, 0xAB, 0x5854, 0xAF, void, crc32],
  ]
}

/// A GetMedia body that is not the Matroska KVS sends: a broken element header, or an element too large to be one.
public struct MalformedMedia: Error, CustomStringConvertible, ExitStatusProviding {
  public let description: String
  public var exitStatus: ExitStatus { .dataError }
}

/// Reads an EBML stream incrementally, as its bytes arrive: each element header is read once, the elements a caller
/// wants whole are handed over the moment their last byte arrived, the others are skipped as they stream past, and
/// the containers read through (Segment, Cluster) are entered and left, whether their size is known or not (a
/// container of unknown size ends where an element that cannot be its child begins). Nothing read is read again;
/// memory is the element being assembled.
struct EBMLReader {
  enum Event {
    case enter(UInt32)
    case element(UInt32, ArraySlice<UInt8>)
    case exit(UInt32)
  }

  /// Larger elements are not what KVS sends (a fragment is at most 50 MB): refused rather than buffered.
  static let largestElement = 64 << 20

  /// Containers read through; the others are handed over whole (`wanted`) or skipped.
  private let entered: Set<UInt32> = [MKVElement.segment, MKVElement.cluster]
  private let wanted: Set<UInt32>
  private var buffer: [UInt8] = []
  private var start = 0
  /// The stream offset of `buffer[start]`.
  private var position: Int64 = 0
  private var skipping: Int64 = 0
  private var open: [(id: UInt32, end: Int64?)] = []

  init(wanted: Set<UInt32>) { self.wanted = wanted }

  /// Whether an element had begun but not ended when the bytes stopped (a body cut short mid-element).
  var isMidElement: Bool { skipping > 0 || start < buffer.count }

  /// The containers open now, innermost last.
  var openContainers: [UInt32] { open.map(\.id) }

  mutating func feed(_ bytes: UnsafeRawBufferPointer, _ handle: (Event) throws -> Void) throws {
    var rest = bytes[...]
    if skipping > 0 {
      let skipped = min(Int64(rest.count), skipping)
      skipping -= skipped
      position += skipped
      rest = rest.dropFirst(Int(skipped))
      if skipping == 0 { try closeEnded(handle) }
    }
    buffer.append(contentsOf: rest)
    while try next(handle) {}
    if start == buffer.count {
      buffer.removeAll(keepingCapacity: true)
      start = 0
    } else if start > 1 << 16, start * 2 > buffer.count {
      buffer.removeFirst(start)
      start = 0
    }
  }

  /// The stream ended: every open container ends with it.
  mutating func finish(_ handle: (Event) throws -> Void) throws {
    while let last = open.popLast() { try handle(.exit(last.id)) }
  }

  /// Reads one element header (and its payload when wanted) from the buffer; false when more bytes are needed.
  private mutating func next(_ handle: (Event) throws -> Void) throws -> Bool {
    guard skipping == 0, let (rawID, idLength) = try vint(at: start, isID: true),
      let (size, sizeLength) = try vint(at: start + idLength, isID: false)
    else { return false }
    let id = UInt32(truncatingIfNeeded: rawID ?? 0)
    try closeContainers(before: id, handle)
    let headerLength = idLength + sizeLength
    if entered.contains(id) {
      consume(headerLength)
      open.append((id, size.map { position + $0 }))
      try handle(.enter(id))
      try closeEnded(handle)
      return true
    }
    guard let size else { throw MalformedMedia(description: "element \(hex(id)) has an unknown size") }
    guard size <= Int64(Self.largestElement) else {
      throw MalformedMedia(description: "element \(hex(id)) claims \(size) bytes, more than any KVS fragment holds")
    }
    if wanted.contains(id) {
      guard buffer.count - start - headerLength >= Int(size) else { return false }
      let payloadStart = start + headerLength
      consume(headerLength + Int(size))
      try handle(.element(id, buffer[payloadStart..<payloadStart + Int(size)]))
      try closeEnded(handle)
    } else {
      let available = min(Int64(buffer.count - start - headerLength), size)
      consume(headerLength + Int(available))
      skipping = size - available
      if skipping == 0 { try closeEnded(handle) }
    }
    return true
  }

  /// Ends the containers whose known size was all read: at once, not when something follows them.
  private mutating func closeEnded(_ handle: (Event) throws -> Void) throws {
    while let last = open.last, let end = last.end, position >= end {
      open.removeLast()
      try handle(.exit(last.id))
    }
  }

  /// Ends the containers this element is not inside: those whose known end it reached, and those of unknown size
  /// that cannot hold it.
  private mutating func closeContainers(before id: UInt32, _ handle: (Event) throws -> Void) throws {
    while let last = open.last {
      if let end = last.end {
        guard position >= end else { return }
      } else if MKVElement.childrenOf[last.id]?.contains(id) ?? false {
        return
      }
      open.removeLast()
      try handle(.exit(last.id))
    }
  }

  private mutating func consume(_ count: Int) {
    start += count
    position += Int64(count)
  }

  /// A variable-size integer at `index`: an id keeps its length marker, a size loses it (all ones: unknown, nil).
  private func vint(at index: Int, isID: Bool) throws -> (Int64?, Int)? {
    guard index < buffer.count else { return nil }
    let first = buffer[index]
    let length = first.leadingZeroBitCount + 1
    guard length <= (isID ? 4 : 8) else {
      throw MalformedMedia(description: "a broken element header (byte \(hex(UInt32(first))) at offset \(position))")
    }
    guard index + length <= buffer.count else { return nil }
    var value: Int64 = isID ? Int64(first) : Int64(first & (0xFF >> length))
    for byte in buffer[(index + 1)..<(index + length)] { value = value << 8 | Int64(byte) }
    if !isID && value == (Int64(1) << (7 * length)) - 1 { return (nil, length) }
    return (value, length)
  }
}

func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16, uppercase: true) }

/// The children of an element handed over whole: (id, payload) pairs, or nil where the payload does not parse.
func ebmlChildren(_ payload: ArraySlice<UInt8>) -> [(id: UInt32, payload: ArraySlice<UInt8>)]? {
  var children: [(UInt32, ArraySlice<UInt8>)] = []
  var index = payload.startIndex
  func vint(isID: Bool) -> Int64? {
    guard index < payload.endIndex else { return nil }
    let first = payload[index]
    let length = first.leadingZeroBitCount + 1
    guard length <= 8, index + length <= payload.endIndex else { return nil }
    var value: Int64 = isID ? Int64(first) : Int64(first & (0xFF >> length))
    for byte in payload[(index + 1)..<(index + length)] { value = value << 8 | Int64(byte) }
    index += length
    return value
  }
  while index < payload.endIndex {
    guard let id = vint(isID: true), let size = vint(isID: false), size >= 0,
      size <= Int64(payload.endIndex - index)
    else { return nil }
    children.append((UInt32(truncatingIfNeeded: id), payload[index..<index + Int(size)]))
    index += Int(size)
  }
  return children
}

/// An unsigned integer element's value (big-endian, up to 8 bytes).
func ebmlUnsigned(_ payload: ArraySlice<UInt8>) -> UInt64 {
  payload.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
}
