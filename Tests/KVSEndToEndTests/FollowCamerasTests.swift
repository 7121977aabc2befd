import CliplineRecords
import CliplineTestSupport
import Foundation
import XCTest

/// The cameras a running `kvs-follow` is given: those arriving later on stdin are picked up, a deleted stream is
/// dropped (said once) while the others go on.
final class FollowCamerasTests: FollowTestCase {
  func testCamerasOfferedLaterArePickedUpAndADeletedStreamIsDropped() throws {
    // Sessions end every 3 s, so each follower asks KVS again and meets a deletion.
    try testbed.cutMediaSessions(after: 3)
    let first = try testbed.createStream("offered")
    let second = try testbed.createStream("offered")
    let producers = try [first, second].map { try LiveCamera(testbed, stream: $0.name) }
    defer { for camera in producers { camera.stop() } }
    let follower = try FollowProcess(
      testbed,
      [
        "--window", "2s", "--idle-timeout", "2s", "--state", "file://" + home.file("state"), "--work-dir",
        home.file("windows"),
      ], home: home)
    try follower.tool.write(cameraRecords([first]))
    try follower.waitForRecords(2)
    XCTAssertEqual(cameras(in: follower.records), [first.name])

    // A camera offered while it runs (a later kvs-discover) is followed too.
    try follower.tool.write(cameraRecords([second]))
    try waitUntil("a window of the camera offered later", follower) {
      self.cameras(in: follower.records).contains(second.name)
    }

    try testbed.deleteStream(first.name)
    try waitUntil("the deleted stream said", follower) { follower.stderr.contains("no longer exists") }
    let dropped = follower.records.count
    try follower.waitForRecords(dropped + 3)
    XCTAssertEqual(follower.terminate().status, 0, follower.stderr)
    XCTAssertEqual(
      cameras(in: Array(follower.records.dropFirst(dropped))), [second.name], "the other camera goes on alone")
    XCTAssertEqual(follower.stderr.components(separatedBy: "no longer exists").count - 1, 1, follower.stderr)
    let windows = follower.records.filter { $0.text("camera_id") == second.name }
    assertContiguous(windows)
    try assertEveryFragmentOnce(windows, second.name)
  }

  /// Reads records until `condition` holds (30 s at most).
  func waitUntil(_ what: String, _ follower: FollowProcess, _ condition: () -> Bool) throws {
    let deadline = Date().addingTimeInterval(30)
    while !condition() {
      guard Date() < deadline else { throw TestFailure("no \(what) in 30 s; stderr: \(follower.stderr.suffix(2000))") }
      _ = try? follower.waitForRecords(follower.records.count + 1, timeout: 1)
    }
  }
}
