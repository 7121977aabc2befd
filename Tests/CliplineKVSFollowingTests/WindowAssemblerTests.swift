import Foundation
import XCTest

@testable import CliplineKVS
@testable import CliplineKVSFollowing

/// Which window each fragment goes to and when a window is complete, from the fragments alone.
final class WindowAssemblerTests: XCTestCase {
  static let tracks: [UInt8] = [1, 2, 3]

  func header(_ number: Int, at millis: Int64, tracks: [UInt8] = tracks) -> KVSFragmentHeader {
    KVSFragmentHeader(
      number: FragmentNumber(String(91_343_852_333 + number))!, serverTime: KVSMillis(millis),
      producerTime: KVSMillis(millis - 700), tracks: tracks, timecodeScale: 1_000_000)
  }

  func window(_ index: Int64) -> AlignedWindow { AlignedWindow(containing: KVSMillis(index * 2000), length: 2000) }

  func testAWindowHoldsTheFragmentsThatStartInItAndClosesWhenALaterOneAnnouncesItself() {
    var assembler = WindowAssembler(length: 2000, clock: .server)
    XCTAssertEqual(assembler.place(header(1, at: 10_300)), [.open(window: window(5), start: KVSMillis(10_000))])
    XCTAssertEqual(assembler.place(header(2, at: 11_000)), [])
    XCTAssertEqual(assembler.started(header(3, at: 11_999)), [], "still in the window")
    XCTAssertEqual(assembler.place(header(3, at: 11_999)), [])
    XCTAssertEqual(assembler.started(header(4, at: 12_000)), [.close], "its end is the next window's start")
    XCTAssertEqual(assembler.place(header(4, at: 12_000)), [.open(window: window(6), start: KVSMillis(12_000))])
    // A fragment whose leading tags were missed (a session resumed) still closes the window before it is placed.
    XCTAssertEqual(
      assembler.place(header(5, at: 16_500)), [.close, .open(window: window(8), start: KVSMillis(16_000))])
  }

  func testWindowsAlignAsKVSDiscoverAlignsTasks() {
    let aligned = AlignedWindow(containing: KVSMillis(1_796_629_323_912), length: 60_000)
    XCTAssertEqual(aligned.start.value, 1_796_629_320_000)
    XCTAssertEqual(aligned.end.value, 1_796_629_380_000)
    let task = TaskWindow(length: 60).range(now: Date(timeIntervalSince1970: 1_796_629_380.5))
    XCTAssertEqual(task.start.timeIntervalSince1970, aligned.start.seconds, "the same minute as kvs-discover's task")
    XCTAssertEqual(AlignedWindow(containing: KVSMillis(-1), length: 2000).start.value, -2000)
  }

  func testACodecChangeSplitsTheWindowAndTheLaterPartStartsAtItsFirstFragment() {
    var assembler = WindowAssembler(length: 2000, clock: .server)
    _ = assembler.place(header(1, at: 10_100))
    let other: [UInt8] = [9, 9]
    XCTAssertEqual(assembler.started(header(2, at: 10_900, tracks: other)), [.close])
    XCTAssertEqual(
      assembler.place(header(2, at: 10_900, tracks: other)), [.open(window: window(5), start: KVSMillis(10_900))])
    XCTAssertEqual(assembler.place(header(3, at: 11_500, tracks: other)), [], "the same codec stays in the part")
  }

  func testAfterARestartAFragmentOfTheSavedWindowContinuesItAsALaterPart() {
    var resumed = WindowAssembler(length: 2000, clock: .server, resumingAfter: KVSMillis(10_400))
    XCTAssertEqual(resumed.place(header(2, at: 10_900)), [.open(window: window(5), start: KVSMillis(10_900))])
    var fresh = WindowAssembler(length: 2000, clock: .server, resumingAfter: KVSMillis(9_900))
    XCTAssertEqual(fresh.place(header(2, at: 10_900)), [.open(window: window(5), start: KVSMillis(10_000))])
  }

  func testAQuietCameraClosesItsWindowOnTheServerClockOnly() {
    var assembler = WindowAssembler(length: 2000, clock: .server)
    _ = assembler.place(header(1, at: 10_100))
    XCTAssertEqual(assembler.idle(now: KVSMillis(13_000), quiet: 3000, idleTimeout: 2000), [], "not 2 s past the end")
    XCTAssertEqual(assembler.idle(now: KVSMillis(14_000), quiet: 1000, idleTimeout: 2000), [], "media still comes")
    XCTAssertEqual(assembler.idle(now: KVSMillis(14_000), quiet: 3900, idleTimeout: 2000), [.close])
    var producer = WindowAssembler(length: 2000, clock: .producer)
    _ = producer.place(header(1, at: 10_100))
    XCTAssertEqual(producer.idle(now: KVSMillis(99_000), quiet: 50_000, idleTimeout: 2000), [])
  }

  func testAProducerClockThatGoesBackStaysInTheOpenWindow() {
    var assembler = WindowAssembler(length: 2000, clock: .producer)
    _ = assembler.place(header(1, at: 10_800))
    XCTAssertEqual(assembler.place(header(2, at: 8_000)), [], "nothing is reordered")
  }
}

/// Where each frame of a window's fragments goes on the file's timeline.
final class FragmentTimelineTests: XCTestCase {
  func fragment(at server: Int64, producer: Int64, timecodes: [Int64], keyframes: Set<Int> = [0])
    -> KVSMediaFragment
  {
    let tracks = MKVWriter.element(0xAE, MKVWriter.unsigned(0xD7, 1) + MKVWriter.unsigned(0x83, 1))
    let header = KVSFragmentHeader(
      number: FragmentNumber("1")!, serverTime: KVSMillis(server), producerTime: KVSMillis(producer), tracks: tracks,
      timecodeScale: 1_000_000)
    let frames = timecodes.enumerated().map {
      MKVFrame(track: 1, timecode: $0.element, isKeyframe: keyframes.contains($0.offset), data: [1])
    }
    return KVSMediaFragment(header: header, frames: frames, millisBehindNow: nil)
  }

  func testFragmentsFollowTheProducerClockAndArrivalWhereItJumped() {
    var timeline = FragmentTimeline(largestGap: 2_000_000_000)
    let first = timeline.place(fragment(at: 10_000, producer: 5_000, timecodes: [500, 533, 566]))
    XCTAssertEqual(first.start, 0)
    XCTAssertEqual(first.duration, 99_000_000)
    XCTAssertEqual(first.frames.map(\.pts), [0, 33_000_000, 66_000_000])
    // The producer says this one starts 99 ms later, whatever its arrival.
    let second = timeline.place(fragment(at: 10_150, producer: 5_099, timecodes: [599, 632]))
    XCTAssertEqual(second.start, 99_000_000)
    // A camera that reconnected: its timecodes and clock start again; arrival spaces it.
    let third = timeline.place(fragment(at: 12_150, producer: 100, timecodes: [0, 33]))
    XCTAssertEqual(third.start, 99_000_000 + 2_000_000_000)
    XCTAssertEqual(third.frames.map(\.dts), third.frames.map(\.pts))
  }

  func testDecodeTimesRiseAndNeverPassAPresentationTime() {
    var timeline = FragmentTimeline(largestGap: 2_000_000_000)
    // I P B B in decode order, presented I B B P.
    let placed = timeline.place(fragment(at: 0, producer: 0, timecodes: [0, 99, 33, 66]))
    let decode = placed.frames.map(\.dts)
    XCTAssertEqual(decode, decode.sorted())
    XCTAssertEqual(Set(decode).count, decode.count)
    for frame in placed.frames { XCTAssertLessThanOrEqual(frame.dts, frame.pts) }
    XCTAssertEqual(placed.frames.map(\.duration), [33_000_000, 33_000_000, 33_000_000, 33_000_000])
    let next = timeline.place(fragment(at: 132, producer: 132, timecodes: [132, 231, 165, 198]))
    XCTAssertGreaterThan(next.frames[0].dts, decode.last!, "decode times rise across fragments")
  }
}
