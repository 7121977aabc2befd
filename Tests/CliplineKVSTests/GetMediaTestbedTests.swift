import CliplineHTTP
import CliplineKVS
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// GetMedia against the testbed, with ffmpeg as the camera through PutMedia: the wire format and the faults that
/// bite (selectors, the reader limit, error tags, sessions that end).
final class GetMediaTestbedTests: XCTestCase {
  var testbed: KVSTestbed!

  override func setUpWithError() throws {
    testbed = try KVSTestbed()
    try testbed.cutMediaSessions(after: 2700)
  }

  override func tearDownWithError() throws { try testbed?.cutMediaSessions(after: 2700) }

  /// What one session delivered; `lock` guards `events` (the session's thread writes, `abandon` reads).
  final class Session: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [GetMediaReader.Event] = []
    var events: [GetMediaReader.Event] { lock.withLock { stored } }
    func append(_ event: GetMediaReader.Event) { lock.withLock { stored.append(event) } }
    var fragments: [KVSMediaFragment] { GetMediaReaderTests.fragments(events) }
  }

  /// As `Self.read`; a refusal for the reader limit is tried again for a few seconds (a reader that just went away
  /// still counts until the server notices its connection closed).
  func read(
    _ stream: String, from selector: KVSMediaSelector, timeout: Double = 20,
    until enough: @escaping @Sendable (Session) -> Bool = { _ in false }
  ) throws -> (session: Session, endedByKVS: Bool) {
    let deadline = Date().addingTimeInterval(5)
    while true {
      do {
        return try Self.read(testbed.access, stream, from: selector, timeout: timeout, until: enough)
      } catch let error as KVSError where error.code == "ConnectionLimitExceededException" && Date() < deadline {
        Thread.sleep(forTimeInterval: 0.2)
      }
    }
  }

  /// Reads one GetMedia session until `enough` says so (then abandons it), KVS ends it, or `timeout` passes.
  /// Returns what arrived and whether KVS ended the session itself.
  static func read(
    _ access: KVSTestbed.Access, _ stream: String, from selector: KVSMediaSelector, timeout: Double = 20,
    until enough: @escaping @Sendable (Session) -> Bool = { _ in false }
  ) throws -> (session: Session, endedByKVS: Bool) {
    let session = Session()
    let deadline = Date().addingTimeInterval(timeout)
    var reader = GetMediaReader()
    do {
      try access.client().getMedia(
        KVSStreamReference(name: stream), from: selector, abandon: { enough(session) || Date() > deadline },
        consume: { bytes in try reader.feed(bytes) { session.append($0) } })
      try reader.finish { session.append($0) }
      return (session, true)
    } catch let error as HTTPTransportError where enough(session) || Date() > deadline {
      _ = error
      return (session, false)
    }
  }

  func testFragmentsArriveAsTheCameraSendsThem() throws {
    let stream = try testbed.createStream("live").name
    let camera = try LiveCamera(testbed, stream: stream, LiveCamera.Settings(audio: true))
    defer { camera.stop() }
    let began = Date()
    let (session, _) = try read(stream, from: .now) { $0.fragments.count >= 5 }
    let fragments = session.fragments
    XCTAssertGreaterThanOrEqual(fragments.count, 5)
    let numbers = fragments.map(\.header.number)
    XCTAssertTrue(numbers.allSatisfy { $0.text.count == 47 }, "\(numbers)")
    XCTAssertEqual(numbers, numbers.sorted())
    XCTAssertEqual(Set(numbers).count, numbers.count)
    let servers = fragments.map(\.header.serverTime.value)
    XCTAssertEqual(servers, servers.sorted())
    XCTAssertGreaterThan(Double(servers[0]) / 1000, began.timeIntervalSince1970 - 2, "server time is arrival time")
    for fragment in fragments {
      let video = fragment.header.trackTypes.first { $0.value == 1 }!.key
      XCTAssertEqual(fragment.frames.first { $0.track == video }?.isKeyframe, true, "a fragment starts on a keyframe")
      let frames = fragment.frames.filter { $0.track == video }.count
      XCTAssertTrue((6...9).contains(frames), "0.5 s fragments at 15 fps, found \(frames) frames")
      XCTAssertTrue(fragment.frames.contains { $0.track != video }, "the audio track comes along")
    }
  }

  func testEverySelectorStartsWhereKVSSays() throws {
    let stream = try testbed.createStream("selectors").name
    let camera = try LiveCamera(testbed, stream: stream)
    defer { camera.stop() }
    let made = try testbed.waitForFragments(stream, count: 4)
    let numbers = made.compactMap { $0["number"]?.stringValue }
    func first(_ selector: KVSMediaSelector) throws -> String? {
      try read(stream, from: selector) { !$0.fragments.isEmpty }.session.fragments.first?.header.number.text
    }
    XCTAssertEqual(try first(.earliest), numbers[0])
    XCTAssertEqual(try first(.after(FragmentNumber(numbers[1])!)), numbers[2], "FRAGMENT_NUMBER starts after it")
    XCTAssertEqual(try first(.continuationToken(numbers[0])), numbers[1])
    let server = try XCTUnwrap(made[2]["server"]?.doubleValue)
    XCTAssertEqual(try first(.serverTimestamp(KVSMillis(Int64(server * 1000) + 20))), numbers[2])
    let producer = try XCTUnwrap(made[1]["producer"]?.doubleValue)
    XCTAssertEqual(try first(.producerTimestamp(KVSMillis(Int64(producer * 1000) + 20))), numbers[1])

    // A fragment number KVS does not have: error 4000 inside the 200, and the session ends.
    let unknown = try read(stream, from: .after(FragmentNumber("1")!), timeout: 10)
    XCTAssertTrue(unknown.endedByKVS)
    guard case .error(let error)? = unknown.session.events.last else {
      return XCTFail("no error tag: \(unknown.session.events)")
    }
    XCTAssertTrue(error.isFragmentNotFound)
  }

  func testAFourthReaderIsRefusedAndAnInjectedErrorEndsTheSession() throws {
    let stream = try testbed.createStream("readers").name
    let camera = try LiveCamera(testbed, stream: stream)
    defer { camera.stop() }
    try testbed.waitForFragments(stream, count: 1)
    let pool = ThreadPool(width: 3)
    let release = Session()  // its first event lets the three readers go
    let access = testbed.access
    for _ in 0..<3 {
      pool.submit { _ = try? Self.read(access, stream, from: .now, timeout: 15) { _ in !release.events.isEmpty } }
    }
    let deadline = Date().addingTimeInterval(10)
    var refused: Error?
    while refused == nil && Date() < deadline {
      do {
        _ = try Self.read(testbed.access, stream, from: .now, timeout: 1)
      } catch {
        refused = error
      }
    }
    release.append(.error(KVSMediaError(code: 0, id: "", fragmentNumber: nil)))
    pool.waitUntilIdle()
    let kvs = try XCTUnwrap(refused as? KVSError, "\(String(describing: refused))")
    XCTAssertEqual(kvs.code, "ConnectionLimitExceededException")
    XCTAssertEqual(kvs.exitStatus, .temporaryFailure, "retried later, with backoff")

    try testbed.mediaError(stream, code: 5000, after: 2)
    let failed = try read(stream, from: .earliest, timeout: 10)
    XCTAssertTrue(failed.endedByKVS)
    XCTAssertEqual(failed.session.fragments.count, 2)
    guard case .error(let error)? = failed.session.events.last else { return XCTFail("no error tag") }
    XCTAssertEqual(error.code, 5000)
    XCTAssertEqual(error.exitStatus, .temporaryFailure)
  }

  func testASessionEndsWithoutAnErrorAfterItsTime() throws {
    let stream = try testbed.createStream("session").name
    let camera = try LiveCamera(testbed, stream: stream)
    defer { camera.stop() }
    try testbed.cutMediaSessions(after: 2)
    let began = Date()
    let (session, endedByKVS) = try read(stream, from: .now, timeout: 15)
    XCTAssertTrue(endedByKVS, "KVS ended it")
    XCTAssertLessThan(Date().timeIntervalSince(began), 8)
    XCTAssertGreaterThanOrEqual(session.fragments.count, 2)
    XCTAssertFalse(session.events.contains { if case .error = $0 { return true } else { return false } })
  }
}
