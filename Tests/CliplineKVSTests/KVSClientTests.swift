import CliplineCache
import CliplineKVS
import CliplineKVSClipping
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// The KVS client's own behaviour against the testbed, and the file cache's lifetime.
final class KVSClientTests: XCTestCase {
  func testADataEndpointThatStopsAnsweringIsAskedForAgain() throws {
    let testbed = try KVSTestbed()
    let stream = try testbed.createStream("moved", video: try FixtureVideo.path(ClipTests.camera))
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

  func testServerTimestampsSelectTheSameMediaByArrivalTime() throws {
    let testbed = try KVSTestbed()
    let work = try ScratchDirectory("kvs-clip")
    let video = try FixtureVideo.path(ClipTests.camera)
    // KVS received every fragment 5 s after the camera stamped it.
    let stream = try testbed.createStream("server", video: video, tags: ["clipline:server_offset": "5"])
    let result = try testbed.run(
      "kvs-clip",
      [
        "--work-dir", work.path, "--timestamps", "server", "--camera-id", "c", "--stream-arn", stream.arn,
        "--start-time", "2026-02-26T14:30:15Z", "--end-time", "2026-02-26T14:30:25Z",
      ],
      home: work.path)
    XCTAssertEqual(result.status, 0, result.stderr)
    let record = try XCTUnwrap(try result.records().first)
    XCTAssertEqual(record["clip_start_time"], .string("2026-02-26T14:30:15Z"))
    XCTAssertEqual(try MediaCheck.frameMD5(record["clip_path"]!.stringValue!), try MediaCheck.frameMD5(video, at: 10))
  }

  func testTheFileCacheExpires() throws {
    let directory = try ScratchDirectory("file-cache")
    let cache = FileRecordCache(directory: directory.path)
    try cache.write(key: "s2:cameras:discovered", value: Array("[1]".utf8), lifetime: 60)
    XCTAssertEqual(try cache.read(key: "s2:cameras:discovered"), Array("[1]".utf8))
    try cache.write(key: "s2:cameras:discovered", value: Array("[2]".utf8), lifetime: 0.05)
    Thread.sleep(forTimeInterval: 0.1)
    XCTAssertNil(try cache.read(key: "s2:cameras:discovered"))
    XCTAssertNil(try cache.read(key: "absent"))
  }

  func testATaskWithoutAStreamOrWithBadTimesIsNamed() throws {
    let noStream = try Record(
      json: #"{"camera_id":"c","start_time":"2026-02-26T14:30:00Z","end_time":"2026-02-26T14:31:00Z"}"#)
    XCTAssertThrowsError(try noStream.decode(ClipTask.self).validated()) {
      XCTAssertEqual($0 as? InputError, .missingField("stream_arn"))
    }
    let badTime = try Record(
      json: #"{"camera_id":"c","stream_name":"s","start_time":"yesterday","end_time":"2026-02-26T14:31:00Z"}"#)
    XCTAssertThrowsError(try badTime.decode(ClipTask.self).validated()) {
      XCTAssertEqual(ExitStatus.of($0), .dataError)
      XCTAssertTrue(describe($0).contains("start_time"), describe($0))
    }
    let slash = try Record(
      json:
        #"{"camera_id":"../x","stream_name":"s","start_time":"2026-02-26T14:30:00Z","end_time":"2026-02-26T14:31:00Z"}"#
    )
    XCTAssertThrowsError(try slash.decode(ClipTask.self).validated())
  }
}
