import CliplineRecords
import CliplineTestSupport
import Foundation
import XCTest

/// Where a stream with no saved position starts (`--start`), and which clock its windows are aligned on
/// (`--timestamps`).
final class FollowStartTests: FollowTestCase {
  func testStartEarliestBeginsWithTheOldestFragmentAndNowWithTheNewest() throws {
    let stream = try testbed.createStream("start").name
    let camera = try LiveCamera(testbed, stream: stream)
    defer { camera.stop() }
    // Three seconds of media are kept before either follower starts.
    let kept = try testbed.waitForFragments(stream, count: 6).compactMap { $0["number"]?.stringValue }
    let earliest = try follow(
      stream, ["--start", "earliest"], state: "file://" + home.file("state-earliest"), windows: "earliest",
      name: "earliest")
    let now = try follow(stream, state: "file://" + home.file("state-now"), windows: "now", name: "now")
    let fromEarliest = try earliest.waitForRecords(3)
    let fromNow = try now.waitForRecords(1)
    XCTAssertEqual(earliest.terminate().status, 0, earliest.stderr)
    XCTAssertEqual(now.terminate().status, 0, now.stderr)

    XCTAssertEqual(fromEarliest[0].text("first_fragment_number"), kept[0], "earliest: the oldest fragment KVS keeps")
    assertContiguous(fromEarliest)
    try assertEveryFragmentOnce(fromEarliest, stream)
    let numbers = try fragmentNumbers(stream)
    let first = try XCTUnwrap(numbers.firstIndex(of: fromNow[0].text("first_fragment_number")))
    XCTAssertGreaterThanOrEqual(first, kept.count - 1, "now: the newest fragment or a later one, not the kept ones")
  }

  /// Without --to or --work-dir a follower writes its windows in kvs-follow.XXXXXX under $TMPDIR: a run that wrote
  /// none leaves nothing there (it left the empty directory every run).
  func testARunThatWroteNoWindowLeavesNothingInTMPDIR() throws {
    let temporary = home.file("tmp")
    try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
    let result = try ToolInvocation.run(
      "kvs-follow", ["--window", "10s", "--state", "file://" + home.file("state")], stdin: "",
      environment: testbed.environment(home: home.path).merging(["TMPDIR": temporary]) { $1 },
      removingEnvironment: KVSTestbed.removedEnvironment)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temporary), [], result.stderr)
  }

  func testProducerTimestampsAlignWindowsOnTheCamerasClock() throws {
    let stream = try testbed.createStream("producer").name
    // A camera whose clock is an hour and a third of a second behind the server's.
    let behind = 3600.3
    let settings = LiveCamera.Settings(producerStart: Date().timeIntervalSince1970 - behind)
    let camera = try LiveCamera(testbed, stream: stream, settings)
    defer { camera.stop() }
    let follower = try follow(stream, ["--timestamps", "producer"])
    let records = try follower.waitForRecords(4)
    XCTAssertEqual(follower.terminate().status, 0, follower.stderr)

    let fragments = Dictionary(
      try testbed.fragments(stream).compactMap { fragment in
        fragment["number"]?.stringValue.map { ($0, fragment["producer"]?.doubleValue ?? -1) }
      }
    ) { first, _ in first }
    assertContiguous(records)
    try assertEveryFragmentOnce(records, stream)
    for record in records {
      let start = Self.seconds(record.text("start_time"))
      let end = Self.seconds(record.text("end_time"))
      XCTAssertEqual(start.truncatingRemainder(dividingBy: 2), 0, "aligned to 2 s: \(record)")
      XCTAssertLessThan(start, Date().timeIntervalSince1970 - 3000, "the camera's clock, not the server's: \(record)")
      // A window holds the fragments that start in it, on the camera's clock.
      for field in ["first_fragment_number", "last_fragment_number"] {
        let producer = try XCTUnwrap(fragments[record.text(field)], "\(field) of \(record)")
        XCTAssertGreaterThanOrEqual(producer, start - 0.001, "\(field) of \(record)")
        XCTAssertLessThan(producer, end, "\(field) of \(record)")
      }
      XCTAssertGreaterThanOrEqual(Self.seconds(record.text("clip_start_time")), start - 0.001, "\(record)")
    }
  }
}
