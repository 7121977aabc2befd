import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// Live tasks through the shipped S2 pipeline never share a storage key: kvs-discover (as examples/s2-scheduler.sh
/// runs it, with no PROCESS_ID) gives each camera and window its own process_id, and examples/s2-worker.sh puts the
/// M0 request's chunks under the camera and that id. The same window discovered again maps to the same keys.
final class LiveTaskKeysTests: XCTestCase {
  func testTwoCamerasOverTwoMinutesGetFourKeyPrefixesAndARerunTheSame() throws {
    let testbed = try KVSTestbed()
    let home = try ScratchDirectory("live-keys")
    let prefix = "keys\(UUID().uuidString.prefix(6))"
    let cameras = [try testbed.createStream(prefix).name, try testbed.createStream(prefix).name]
    var owners: [String: String] = [:]  // destination_prefix -> the camera and minute it belongs to
    var processIds: Set<Int64> = []
    for minute in ["14:31", "14:32"] {
      let tasks = try discover(testbed, prefix, at: "2026-02-26T\(minute):40Z", home: home)
      XCTAssertEqual(Set(tasks.compactMap { $0["camera_id"]?.stringValue }), Set(cameras), minute)
      let rerun = try discover(testbed, prefix, at: "2026-02-26T\(minute):59Z", home: home)
      XCTAssertEqual(rerun, tasks, "\(minute): the same window run again is the same task")
      for task in tasks {
        let camera = try XCTUnwrap(task["camera_id"]?.stringValue)
        let processId = try XCTUnwrap(task["process_id"], "\(camera) \(minute): no process_id")
        processIds.insert(try XCTUnwrap(processId.integerValue, "\(camera) \(minute): a number, as the seed types it"))
        let prefix = try destinationPrefix(for: task)
        XCTAssertTrue(prefix.hasPrefix("processed/live/\(camera)/"), prefix)
        XCTAssertNil(owners[prefix], "\(camera) \(minute) writes where \(owners[prefix] ?? "") does: \(prefix)")
        owners[prefix] = "\(camera) \(minute)"
        XCTAssertEqual(try destinationPrefix(for: task), prefix, "the same task, the same keys")
      }
    }
    XCTAssertEqual(owners.count, 4, "\(owners)")
    // m0-worker.sh's cache copy goes under temp/{process_id}/: one process_id per camera and window.
    XCTAssertEqual(processIds.count, 4, "\(processIds)")
  }

  func discover(_ testbed: KVSTestbed, _ prefix: String, at: String, home: ScratchDirectory) throws -> [Record] {
    let result = try testbed.run(
      "kvs-discover", ["--prefix", prefix, "--no-cache", "--window", "60s", "--delay", "30s", "--at", at],
      home: home.path)
    XCTAssertEqual(result.status, 0, result.stderr)
    return try result.records().sorted { ($0["camera_id"]?.stringValue ?? "") < ($1["camera_id"]?.stringValue ?? "") }
  }

  /// The M0 request's destination_prefix for a task, after kvs-clip stored its clip.
  func destinationPrefix(for task: Record) throws -> String {
    var clip = task
    clip["cloud_stream_path"] = .string("s3://videos/live/\(task["camera_id"]?.stringValue ?? "")/clip.mp4")
    clip["clip_start_time"] = task["start_time"]
    let shaped = try ExampleScript.shapeOnly("s2-worker.sh", stdin: JSONSerializer.string(.object(clip.fields)) + "\n")
    XCTAssertEqual(shaped.status, 0, shaped.stderr)
    return try XCTUnwrap(try shaped.records().first?["destination_prefix"]?.stringValue)
  }
}
