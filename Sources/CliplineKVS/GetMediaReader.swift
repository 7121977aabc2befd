import CliplineSystem

/// What the tags before a fragment's Cluster say: which fragment it is, when it arrived, and its tracks.
public struct KVSFragmentHeader: Sendable, Equatable {
  public let number: FragmentNumber
  public let serverTime: KVSMillis
  public let producerTime: KVSMillis
  /// The document's Tracks payload (CodecPrivate included), as KVS repeats it in every fragment: two fragments
  /// whose tracks differ cannot share one file.
  public let tracks: [UInt8]
  /// Nanoseconds per Cluster and Block timecode tick (Info's TimecodeScale).
  public let timecodeScale: UInt64

  public func time(_ kind: KVSTimestampKind) -> KVSMillis { kind == .server ? serverTime : producerTime }
}

/// One frame of a fragment: its track, its time in timecode ticks (the Cluster's timecode plus the block's own,
/// on the producer's clock, which restarts when a camera reconnects) and its bytes.
public struct MKVFrame: Sendable, Equatable {
  public let track: Int
  public let timecode: Int64
  public let isKeyframe: Bool
  public let data: [UInt8]
}

/// A fragment as GetMedia delivered it, whole.
public struct KVSMediaFragment: Sendable, Equatable {
  public let header: KVSFragmentHeader
  public let frames: [MKVFrame]
  public let millisBehindNow: Int64?
}

/// An error KVS reported inside the 200 (AWS_KINESISVIDEO_ERROR_CODE and _ERROR_ID), after which it ends the body.
public struct KVSMediaError: Error, Sendable, Equatable, CustomStringConvertible, ExitStatusProviding {
  public let code: Int
  public let id: String
  public let fragmentNumber: String?

  public init(code: Int, id: String, fragmentNumber: String?) {
    self.code = code
    self.id = id
    self.fragmentNumber = fragmentNumber
  }

  /// 4000: the fragment asked for does not exist (any more).
  public var isFragmentNotFound: Bool { code == 4000 }
  /// 4500–4506: the stream's KMS key cannot be used.
  public var isKMS: Bool { (4500...4506).contains(code) }

  public var description: String {
    let meaning: String
    switch code {
    case 4000: meaning = "the requested fragment was not found"
    case 4500...4506: meaning = "KVS cannot use the stream's KMS key"
    case 3002: meaning = "the stream is being written in a way GetMedia cannot read"
    case 5000...5999: meaning = "KVS had an internal error"
    default: meaning = "KVS reported an error"
    }
    return "GetMedia: \(meaning) (error code \(code), id \(id))"
  }

  public var exitStatus: ExitStatus { isKMS ? .permissionDenied : .temporaryFailure }
}

/// Turns a GetMedia body, fed as it arrives, into fragments: a fragment's start is reported the moment its leading
/// tags were read (before its media), and the fragment itself the moment its trailing tags were (it never waits for
/// the next fragment to begin). A fragment whose media did not arrive whole is never reported.
public struct GetMediaReader {
  public enum Event: Sendable, Equatable {
    case started(KVSFragmentHeader)
    case fragment(KVSMediaFragment)
    case error(KVSMediaError)
  }

  private var ebml = EBMLReader(wanted: [
    MKVElement.ebml, MKVElement.info, MKVElement.tracks, MKVElement.tags, MKVElement.timecode,
    MKVElement.simpleBlock, MKVElement.blockGroup,
  ])
  private var document = Document()

  /// What one Matroska document has said so far.
  private struct Document {
    var timecodeScale: UInt64 = 1_000_000
    var tracks: [UInt8] = []
    var header: KVSFragmentHeader?
    var clusterTimecode: Int64 = 0
    var frames: [MKVFrame] = []
    var clusterSeen = false
    var clusterEnded = false
    var reported = false
  }

  public init() {}

  public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ handle: (Event) throws -> Void) throws {
    // Moved out, not copied: a copy would share the frames array, and the first frame appended in each call would
    // copy all the fragment's frames so far (retaining each).
    var document = Document()
    swap(&document, &self.document)
    defer { self.document = document }
    try ebml.feed(bytes) { event in try Self.take(event, into: &document, handle) }
  }

  /// The body ended. A fragment whose Cluster of known size arrived whole but whose trailing tags did not is still
  /// reported; one cut short is not (it comes again from the next session).
  public mutating func finish(_ handle: (Event) throws -> Void) throws {
    let cutShort = ebml.isMidElement
    var document = Document()
    swap(&document, &self.document)
    // A Cluster of unknown size that the end of the body closes may have been cut between two blocks: it counts as
    // whole only when its known size was reached, or its trailing tags came.
    try ebml.finish { event in
      if case .exit(MKVElement.cluster) = event { return }
      try Self.take(event, into: &document, handle)
    }
    if !cutShort { try Self.complete(&document, millisBehindNow: nil, handle) }
  }

  private static func take(_ event: EBMLReader.Event, into document: inout Document, _ handle: (Event) throws -> Void)
    throws
  {
    switch event {
    case .element(MKVElement.ebml, _):
      // A new document: the previous one ended whole.
      try complete(&document, millisBehindNow: nil, handle)
      document = Document()
    case .element(MKVElement.info, let payload):
      for child in ebmlChildren(payload) ?? [] where child.id == MKVElement.timecodeScale {
        document.timecodeScale = max(1, ebmlUnsigned(child.payload))
      }
    case .element(MKVElement.tracks, let payload):
      document.tracks = Array(payload)
    case .element(MKVElement.tags, let payload):
      try takeTags(tagPairs(payload), into: &document, handle)
    case .enter(MKVElement.cluster):
      document.clusterSeen = true
    case .exit(MKVElement.cluster):
      document.clusterEnded = true
    case .element(MKVElement.timecode, let payload):
      document.clusterTimecode = Int64(truncatingIfNeeded: ebmlUnsigned(payload))
    case .element(MKVElement.simpleBlock, let payload):
      guard document.header != nil else { return }
      document.frames.append(try frame(payload, keyframe: nil, document))
    case .element(MKVElement.blockGroup, let payload):
      guard document.header != nil else { return }
      let children = ebmlChildren(payload) ?? []
      guard let block = children.first(where: { $0.id == MKVElement.block }) else { return }
      let keyframe = !children.contains { $0.id == MKVElement.referenceBlock }
      document.frames.append(try frame(block.payload, keyframe: keyframe, document))
    default:
      break
    }
  }

  /// KVS's own tags: before the Cluster they name the fragment (or an error), after it they end it. A producer's
  /// tags (COMPATIBLE_BRANDS, ENCODER, …) ride along and are ignored.
  private static func takeTags(
    _ pairs: [String: String], into document: inout Document, _ handle: (Event) throws -> Void
  ) throws {
    let prefix = "AWS_KINESISVIDEO_"
    if let code = pairs[prefix + "ERROR_CODE"] {
      try handle(
        .error(
          KVSMediaError(
            code: Int(code) ?? 0, id: pairs[prefix + "ERROR_ID"] ?? "",
            fragmentNumber: pairs[prefix + "FRAGMENT_NUMBER"]
          )))
      return
    }
    if !document.clusterSeen, let numberText = pairs[prefix + "FRAGMENT_NUMBER"],
      let serverText = pairs[prefix + "SERVER_TIMESTAMP"]
    {
      guard let number = FragmentNumber(numberText), let server = KVSMillis(decimalSeconds: serverText) else {
        throw MalformedMedia(description: "GetMedia sent a fragment number or server timestamp that does not parse")
      }
      let producer = pairs[prefix + "PRODUCER_TIMESTAMP"].flatMap { KVSMillis(decimalSeconds: $0) } ?? server
      let header = KVSFragmentHeader(
        number: number, serverTime: server, producerTime: producer, tracks: document.tracks,
        timecodeScale: document.timecodeScale)
      document.header = header
      try handle(.started(header))
    } else if document.clusterSeen,
      pairs[prefix + "CONTINUATION_TOKEN"] != nil || pairs[prefix + "MILLIS_BEHIND_NOW"] != nil
    {
      try complete(&document, millisBehindNow: pairs[prefix + "MILLIS_BEHIND_NOW"].flatMap { Int64($0) }, handle)
    }
  }

  private static func complete(
    _ document: inout Document, millisBehindNow: Int64?, _ handle: (Event) throws -> Void
  ) throws {
    guard let header = document.header, document.clusterSeen, !document.reported else { return }
    guard millisBehindNow != nil || document.clusterEnded else { return }
    document.reported = true
    try handle(.fragment(KVSMediaFragment(header: header, frames: document.frames, millisBehindNow: millisBehindNow)))
    document.frames = []
  }

  /// A SimpleBlock's (or Block's) track, time and bytes; laced blocks are not what KVS producers send.
  private static func frame(_ payload: ArraySlice<UInt8>, keyframe: Bool?, _ document: Document) throws -> MKVFrame {
    var index = payload.startIndex
    guard index < payload.endIndex else { throw MalformedMedia(description: "GetMedia sent an empty block") }
    let length = payload[index].leadingZeroBitCount + 1
    guard length <= 8, payload.count >= length + 3 else {
      throw MalformedMedia(description: "GetMedia sent a block with a broken header")
    }
    var track = Int(payload[index] & (0xFF >> length))
    for byte in payload[(index + 1)..<(index + length)] { track = track << 8 | Int(byte) }
    index += length
    let relative = Int16(bitPattern: UInt16(payload[index]) << 8 | UInt16(payload[index + 1]))
    let flags = payload[index + 2]
    guard flags & 0x06 == 0 else {
      throw MalformedMedia(description: "GetMedia sent a laced block (track \(track)), which KVS producers do not")
    }
    return MKVFrame(
      track: track, timecode: document.clusterTimecode + Int64(relative), isKeyframe: keyframe ?? (flags & 0x80 != 0),
      data: Array(payload[(index + 3)...]))
  }

  /// Every SimpleTag's name and string in a Tags payload.
  private static func tagPairs(_ payload: ArraySlice<UInt8>) -> [String: String] {
    var pairs: [String: String] = [:]
    for tag in ebmlChildren(payload) ?? [] where tag.id == MKVElement.tag {
      for simple in ebmlChildren(tag.payload) ?? [] where simple.id == MKVElement.simpleTag {
        let fields = ebmlChildren(simple.payload) ?? []
        guard let name = fields.first(where: { $0.id == MKVElement.tagName }),
          let value = fields.first(where: { $0.id == MKVElement.tagString })
        else { continue }
        // Producers pad strings with NULs.
        let text = String(decoding: value.payload.prefix { $0 != 0 }, as: UTF8.self)
        pairs[String(decoding: name.payload.prefix { $0 != 0 }, as: UTF8.self)] = text
      }
    }
    return pairs
  }
}
