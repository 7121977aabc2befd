import CliplineRecords
import CliplineTestSupport
import Foundation
import XCTest

/// Two `kvs-follow` processes sharing cameras through Redis leases: each camera followed by exactly one, the
/// cameras shared out, and those of a process killed with SIGKILL taken over by the other from their saved positions.
final class FollowFailoverTests: FollowTestCase {
  func testTwoFollowersShareTheCamerasAndTheSurvivorTakesOverWhereTheOtherStopped() throws {
    // A database of its own: the followers' heartbeats are counted per database.
    let redis =
      try TestServices.require("REDIS_URL").components(separatedBy: "/").prefix(3).joined(separator: "/") + "/5"
    let streams = [try testbed.createStream("share"), try testbed.createStream("share")]
    let producers = try streams.map { try LiveCamera(testbed, stream: $0.name) }
    defer { for camera in producers { camera.stop() } }
    func follower(_ name: String) throws -> FollowProcess {
      let arguments = [
        "--window", "2s", "--idle-timeout", "2s", "--state", redis, "--lease", "3s", "--work-dir", home.file(name),
      ]
      let process = try FollowProcess(testbed, arguments, home: home, name: name)
      try process.tool.write(cameraRecords(streams))
      return process
    }
    let first = try follower("first")
    try first.waitForRecords(2)
    let second = try follower("second")
    try second.waitForRecords(2, timeout: 40)
    XCTAssertEqual(cameras(in: second.records).count, 1, "the newcomer took its share: one camera")
    first.kill()
    let before = second.records.count
    let deadline = Date().addingTimeInterval(60)
    while cameras(in: Array(second.records.dropFirst(before))).count < 2 || second.records.count < before + 6,
      Date() < deadline
    {
      try second.waitForRecords(second.records.count + 1, timeout: 30)
    }
    XCTAssertEqual(second.terminate().status, 0, second.stderr)
    XCTAssertEqual(
      cameras(in: Array(second.records.dropFirst(before))).count, 2, "both cameras go on: \(second.stderr)")

    for stream in streams {
      let runs = [first.records, second.records].map { $0.filter { $0.text("camera_id") == stream.name } }
      let all = merged(runs)
      assertContiguous(all)
      try assertEveryFragmentOnce(all, stream.name)
    }
  }
}
