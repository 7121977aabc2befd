import CliplineKVS
import CliplineSystem
import XCTest

/// The GetMedia body reader on bodies written here in KVS's wire format: every way KVS frames a fragment, read whole
/// and byte by byte, and what it must refuse.
final class GetMediaReaderTests: XCTestCase {
  static let tracks = MKVWriter.element(
    0xAE, MKVWriter.unsigned(0xD7, 1) + MKVWriter.unsigned(0x83, 1) + MKVWriter.string(0x86, "V_MPEG4/ISO/AVC"))

  struct Piece {
    var number = "91343852333181432392682062607743920146159169392"
    var server = "1511852109.126"
    var producer = "1511852108.513"
    var clusterTimecode: UInt64 = 2000
    var blocks: [(relative: Int16, key: Bool, bytes: [UInt8])] = [
      (0, true, [1, 2, 3]), (33, false, [4]), (66, false, [5]),
    ]
    var knownClusterSize = true
    var trailingTags = true
    /// A producer's own tags, a SeekHead, a Void and a CRC-32, as real answers carry.
    var extras = false
  }

  static func document(_ piece: Piece) -> [UInt8] {
    var bytes = MKVWriter.ebmlHeader + MKVWriter.openEnded(0x1853_8067)
    if piece.extras { bytes += MKVWriter.element(0x114D_9B74, [0x4D, 0xBB, 0x80]) + MKVWriter.element(0xEC, [0, 0]) }
    bytes += MKVWriter.info(timecodeScale: 1_000_000) + MKVWriter.element(0x1654_AE6B, tracks)
    if piece.extras { bytes += MKVWriter.tags([("ENCODER", "Lavf57.71.100"), ("DURATION", "00:00:10.0\u{0}\u{0}")]) }
    bytes += MKVWriter.tags([
      ("AWS_KINESISVIDEO_FRAGMENT_NUMBER", piece.number), ("AWS_KINESISVIDEO_SERVER_TIMESTAMP", piece.server),
      ("AWS_KINESISVIDEO_PRODUCER_TIMESTAMP", piece.producer),
    ])
    var cluster =
      (piece.extras ? MKVWriter.element(0xBF, [1, 2, 3, 4]) : [])
      + MKVWriter.unsigned(0xE7, piece.clusterTimecode)
    for block in piece.blocks {
      cluster += MKVWriter.simpleBlock(track: 1, relative: block.relative, keyframe: block.key, data: block.bytes)
    }
    bytes +=
      piece.knownClusterSize ? MKVWriter.element(0x1F43_B675, cluster) : MKVWriter.openEnded(0x1F43_B675) + cluster
    if piece.trailingTags {
      bytes += MKVWriter.tags([
        ("AWS_KINESISVIDEO_MILLIS_BEHIND_NOW", "15858"), ("AWS_KINESISVIDEO_CONTINUATION_TOKEN", piece.number),
      ])
    }
    return bytes
  }

  static func read(_ body: [UInt8], inPiecesOf size: Int? = nil, finish: Bool = true) throws -> [GetMediaReader.Event] {
    var reader = GetMediaReader()
    var events: [GetMediaReader.Event] = []
    var offset = 0
    let step = size ?? body.count
    while offset < body.count {
      let end = min(body.count, offset + step)
      try body[offset..<end].withUnsafeBytes { bytes in try reader.feed(bytes) { events.append($0) } }
      offset = end
    }
    if finish { try reader.finish { events.append($0) } }
    return events
  }

  static func fragments(_ events: [GetMediaReader.Event]) -> [KVSMediaFragment] {
    events.compactMap { if case .fragment(let fragment) = $0 { return fragment } else { return nil } }
  }

  func testEveryFramingReadsTheSameWholeAndByteByByte() throws {
    var second = Piece(number: "91343852333181432392682062607743920146159169397", server: "1511852110.915")
    second.knownClusterSize = false
    var third = Piece(number: "91343852333181432392682062607743920146159169402", server: "1511852112.487")
    third.extras = true
    third.clusterTimecode = 0  // a camera that reconnected: its timecodes start again
    let body = Self.document(Piece()) + Self.document(second) + Self.document(third)
    let whole = try Self.read(body)
    XCTAssertEqual(try Self.read(body, inPiecesOf: 1), whole)
    XCTAssertEqual(try Self.read(body, inPiecesOf: 7), whole)
    let fragments = Self.fragments(whole)
    XCTAssertEqual(fragments.map(\.header.number.text), [Piece().number, second.number, third.number])
    XCTAssertEqual(fragments.map(\.header.serverTime.value), [1_511_852_109_126, 1_511_852_110_915, 1_511_852_112_487])
    XCTAssertEqual(fragments[0].header.producerTime.value, 1_511_852_108_513)
    XCTAssertEqual(fragments[0].frames.map(\.timecode), [2000, 2033, 2066])
    XCTAssertEqual(fragments[2].frames.map(\.timecode), [0, 33, 66])
    XCTAssertEqual(fragments[0].frames.map(\.isKeyframe), [true, false, false])
    XCTAssertEqual(fragments[0].frames[0].data, [1, 2, 3])
    XCTAssertEqual(fragments[0].millisBehindNow, 15858)
    XCTAssertEqual(fragments[0].header.trackTypes, [1: 1])
    XCTAssertEqual(fragments[0].header.tracks, Self.tracks)
    // Each fragment was announced by its leading tags before it was reported whole.
    let order = whole.map { event -> String in
      switch event {
      case .started(let header): return "started \(header.number)"
      case .fragment(let fragment): return "fragment \(fragment.header.number)"
      case .error: return "error"
      }
    }
    XCTAssertEqual(order.count, 6)
    for index in stride(from: 0, to: 6, by: 2) {
      XCTAssertEqual(order[index].dropFirst(8), order[index + 1].dropFirst(9))
    }
  }

  func testAFragmentIsReportedAtItsTrailingTagsWithoutWaitingForTheNext() throws {
    var live = Piece()
    live.knownClusterSize = false
    let events = try Self.read(Self.document(live), finish: false)
    XCTAssertEqual(Self.fragments(events).count, 1, "reported as soon as its trailing tags arrived")
  }

  func testTheLeadingTagsAnnounceAFragmentBeforeItsMedia() throws {
    var live = Piece()
    live.knownClusterSize = false
    live.trailingTags = false
    live.blocks = []
    let events = try Self.read(Self.document(live), finish: false)
    guard case .started(let header)? = events.first, events.count == 1 else {
      return XCTFail("expected one start, got \(events)")
    }
    XCTAssertEqual(header.number.text, live.number)
  }

  func testAFragmentCutShortIsNeverReported() throws {
    var live = Piece()
    live.knownClusterSize = false
    live.trailingTags = false
    let body = Self.document(live)
    // Cut between two blocks of a Cluster of unknown size: it may have had more.
    XCTAssertTrue(Self.fragments(try Self.read(body)).isEmpty)
    // Cut inside a block.
    XCTAssertTrue(Self.fragments(try Self.read(Array(body.dropLast(1)))).isEmpty)
    // A Cluster of known size that arrived whole is whole, trailing tags or not.
    var stored = Piece()
    stored.trailingTags = false
    XCTAssertEqual(Self.fragments(try Self.read(Self.document(stored))).count, 1)
    XCTAssertTrue(Self.fragments(try Self.read(Array(Self.document(stored).dropLast(2)))).isEmpty)
  }

  func testErrorTagsInsideTheBodyAreReported() throws {
    let body =
      Self.document(Piece()) + MKVWriter.ebmlHeader + MKVWriter.openEnded(0x1853_8067)
      + MKVWriter.tags([
        ("AWS_KINESISVIDEO_FRAGMENT_NUMBER", "91343852333181432392682062607743920146159169397"),
        ("AWS_KINESISVIDEO_ERROR_CODE", "4000"), ("AWS_KINESISVIDEO_ERROR_ID", "4000"),
      ])
    let events = try Self.read(body)
    guard case .error(let error)? = events.last else { return XCTFail("no error event in \(events)") }
    XCTAssertTrue(error.isFragmentNotFound)
    XCTAssertEqual(error.fragmentNumber, "91343852333181432392682062607743920146159169397")
    XCTAssertEqual(Self.fragments(events).count, 1, "the fragment before the error is whole")
    XCTAssertEqual(
      KVSMediaError(code: 4501, id: "1", fragmentNumber: nil).exitStatus, .permissionDenied,
      "a KMS error is not retried")
  }

  func testWhatKVSNeverSendsIsRefusedAsBadMedia() throws {
    var laced = Self.document(Piece())
    let block = MKVWriter.simpleBlock(track: 1, relative: 0, keyframe: true, data: [1, 2, 3])
    let flagsIndex = laced.indices.first { Array(laced[$0..<min(laced.count, $0 + block.count)]) == block }!
    laced[flagsIndex + block.count - 4] |= 0x02
    XCTAssertThrowsError(try Self.read(laced)) { XCTAssertEqual(ExitStatus.of($0), .dataError) }
    let huge =
      MKVWriter.ebmlHeader + MKVWriter.openEnded(0x1853_8067) + [0x16, 0x54, 0xAE, 0x6B, 0x01, 0, 0, 0, 0x10, 0, 0, 0]
    XCTAssertThrowsError(try Self.read(huge)) { error in
      XCTAssertTrue("\(error)".contains("more than any KVS fragment holds"), "\(error)")
    }
    XCTAssertThrowsError(try Self.read([0x00, 0x01, 0x02])) { XCTAssertEqual(ExitStatus.of($0), .dataError) }
  }

  func testFragmentNumbersCompareAsNumbersOfAnyLength() throws {
    let small = try XCTUnwrap(FragmentNumber("91343852333181432392682062607743920146159169392"))
    let larger = try XCTUnwrap(FragmentNumber("91343852333181432392682062607743920146159169393"))
    let longer = try XCTUnwrap(FragmentNumber("100000000000000000000000000000000000000000000000"))
    XCTAssertLessThan(small, larger)
    XCTAssertLessThan(larger, longer, "48 digits are more than 47, whatever the digits")
    XCTAssertEqual(FragmentNumber("007"), FragmentNumber("7"))
    XCTAssertEqual(Set([FragmentNumber("007")!, FragmentNumber("7")!]).count, 1)
    XCTAssertLessThan(FragmentNumber("9")!, FragmentNumber("10")!)
    XCTAssertNotNil(FragmentNumber(String(repeating: "9", count: 128)))
    XCTAssertNil(FragmentNumber(String(repeating: "9", count: 129)))
    XCTAssertNil(FragmentNumber("12a"))
    XCTAssertNil(FragmentNumber(""))
    XCTAssertNil(FragmentNumber("-1"))
    XCTAssertEqual(FragmentNumber("0042")?.text, "0042", "sent back as KVS wrote it")
  }

  func testTimestampsAreExactMilliseconds() {
    XCTAssertEqual(KVSMillis(decimalSeconds: "1511852109.126")?.value, 1_511_852_109_126)
    XCTAssertEqual(KVSMillis(decimalSeconds: "1511852109")?.value, 1_511_852_109_000)
    XCTAssertEqual(KVSMillis(decimalSeconds: "1511852109.1")?.value, 1_511_852_109_100)
    XCTAssertEqual(KVSMillis(decimalSeconds: "1511852109.12345")?.value, 1_511_852_109_123)
    XCTAssertNil(KVSMillis(decimalSeconds: "soon"))
    XCTAssertNil(KVSMillis(decimalSeconds: "1.2.3"))
    XCTAssertEqual(KVSMillis(1_511_852_109_006).description, "1511852109.006")
  }
}
