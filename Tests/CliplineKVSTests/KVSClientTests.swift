import CliplineKVS
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// The KVS client's own behaviour against the testbed.
final class KVSClientTests: XCTestCase {
  func testADataEndpointThatStopsAnsweringIsAskedForAgain() throws {
    let testbed = try KVSTestbed()
    let stream = try testbed.createStream("moved", video: try FixtureVideo.path(KVSTestbed.camera))
    let client = testbed.client()
    let reference = KVSStreamReference(name: stream.name)
    // The first answer names a port nobody listens on.
    try testbed.moveDataEndpoint(to: "http://127.0.0.1:9")
    let start = RFC3339.parse("2026-02-26T14:30:10Z")!
    let fragments = try client.listFragments(
      reference, kind: .producer, start: start, end: start.addingTimeInterval(10))
    XCTAssertEqual(fragments.count, 6)  // 2 s fragments starting at 10, 12, …, 20 (ListFragments includes the end)
    XCTAssertEqual(try testbed.requests()["GetDataEndpoint"], 2, "the refused endpoint was not asked for again")
    // Cached from then on.
    _ = try client.listFragments(reference, kind: .producer, start: start, end: start.addingTimeInterval(10))
    XCTAssertEqual(try testbed.requests()["GetDataEndpoint"], 2)
  }
}
