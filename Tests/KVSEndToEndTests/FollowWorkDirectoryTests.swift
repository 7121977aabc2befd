import CliplineTestSupport
import Foundation
import XCTest

/// `kvs-follow --to` keeps a window in a file only while it is sent, in a directory of its own that it holds locked:
/// a follower killed with -9 leaves its half-written window behind, and the next follower removes it, never the
/// directory of a follower still alive.
final class FollowWorkDirectoryTests: FollowTestCase {
  func testAKilledFollowersHalfWrittenWindowIsRemovedByTheNextNotALiveOnes() throws {
    let server = try S3TestServer.require()
    let bucket = try server.makeBucket("follow-sweep")
    let work = home.file("work")
    var environment = server.toolEnvironment.filter { $0.key != "AWS_REGION" }
    environment["CLIPLINE_WORK_DIR"] = work
    let streams = [try testbed.createStream("swept").name, try testbed.createStream("alive").name]
    let cameras = try streams.map { try LiveCamera(testbed, stream: $0) }
    defer { for camera in cameras { camera.stop() } }
    func start(_ index: Int, _ name: String) throws -> FollowProcess {
      try follow(
        streams[index], ["--to", "s3://\(bucket)/live/{camera_id}/{start_time}.mp4=cloud_stream_path"],
        state: "file://" + home.file("state-\(index)"), name: name, environment: environment)
    }
    let killed = try start(0, "killed")
    try killed.waitForRecords(1)
    // The next window's file exists from its first whole fragment on.
    try eventually(timeout: 10, "a window under way") {
      !(try FileManager.default.contentsOfDirectory(atPath: work)).isEmpty
    }
    killed.kill()
    let left = Set(try FileManager.default.contentsOfDirectory(atPath: work))

    let alive = try start(1, "alive")
    try alive.waitForRecords(1)
    let alivesOwn = Set(try FileManager.default.contentsOfDirectory(atPath: work)).subtracting(left)
    let next = try start(0, "next")
    try next.waitForRecords(1)
    try alive.waitForRecords(alive.records.count + 1)
    let now = Set(try FileManager.default.contentsOfDirectory(atPath: work))
    XCTAssertTrue(now.isDisjoint(with: left), "the killed follower's files are removed: \(left) in \(now)")
    XCTAssertTrue(alivesOwn.isSubset(of: now), "a live follower's are not: \(alivesOwn) in \(now)")

    XCTAssertEqual(next.terminate().status, 0, next.stderr)
    XCTAssertEqual(alive.terminate().status, 0, alive.stderr)
    XCTAssertFalse(alive.stderr.contains("cut again"), alive.stderr)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work), [], "nothing left after a clean stop")
  }
}
