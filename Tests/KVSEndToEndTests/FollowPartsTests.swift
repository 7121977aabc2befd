import CliplineBlobStores
import CliplineRecords
import CliplineTestSupport
import Foundation
import XCTest

/// `kvs-follow --to` S3 sends each window part by part while it arrives (the mechanism `chunk --to` uses): a part
/// leaves before the window's last fragment exists, the object is the window byte for byte, and nothing is left
/// behind, neither an open multipart upload nor a file in the work directory.
final class FollowPartsTests: FollowTestCase {
  func testAWindowsPartsLeaveBeforeItsLastFragmentArrives() throws {
    let server = try S3TestServer.require()
    let bucket = try server.makeBucket("follow-parts")
    // The first part request is held until the test has looked at the camera's newest fragment.
    let proxy = try FaultProxy(upstream: server.endpoint, holdQuery: "partNumber")
    var environment = server.toolEnvironment.filter { $0.key != "AWS_REGION" }
    environment["AWS_ENDPOINT_URL_S3"] = proxy.endpoint
    environment["CLIPLINE_WORK_DIR"] = home.file("work")
    let stream = try testbed.createStream("parts").name
    // 3 MB a second: a 10 s window is six parts of 5 MiB. It starts just before a window's start, so that its first
    // window, a short one, is sent whole.
    Thread.sleep(forTimeInterval: 9 - Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 10))
    let camera = try LiveCamera(testbed, stream: stream, .init(fragmentSeconds: 1, videoBitrate: "24M"))
    var held = false
    defer {
      if held { kill(camera.process.processIdentifier, SIGCONT) }
      camera.stop()
    }
    // A long idle timeout: the window the camera is held in does not close for want of media.
    let arguments = [
      "--stream", stream, "--window", "10s", "--idle-timeout", "60s", "--state", "file://" + home.file("state"),
      "--start", "earliest", "--part-size", "5M",
      "--to", "s3://\(bucket)/live/{camera_id}/{start_time}.mp4=cloud_stream_path",
    ]
    let follower = try FollowProcess(testbed, arguments, home: home, environment: environment)
    // The follower lags the camera (stopped until the camera is held, and 5 s more), as it does on a loaded
    // machine: the test must not depend on its pace.
    kill(follower.tool.process.processIdentifier, SIGSTOP)
    held = try holdCamera(camera, stream)
    Thread.sleep(forTimeInterval: 5)
    kill(follower.tool.process.processIdentifier, SIGCONT)
    try proxy.waitUntilHeld()
    let newestThen = try XCTUnwrap(try fragmentNumbers(stream).last)
    kill(camera.process.processIdentifier, SIGCONT)
    held = false
    try proxy.release()
    let parted = try waitForPartedWindow(follower)
    XCTAssertEqual(follower.terminate().status, 0, follower.stderr)

    let numbers = try fragmentNumbers(stream)
    let last = try XCTUnwrap(numbers.firstIndex(of: parted.text("last_fragment_number")))
    XCTAssertGreaterThan(
      last, try XCTUnwrap(numbers.firstIndex(of: newestThen)),
      "the first part left only after the window's last fragment \(parted.text("last_fragment_number")) arrived")
    let etag = parted.text("cloud_stream_path_etag")
    XCTAssertGreaterThanOrEqual(Int(etag.split(separator: "-").last ?? "") ?? 0, 3, "parts of 5 MiB: \(etag)")
    let downloaded = home.file("window.mp4")
    _ = try server.store().get(try BlobLocation(parsing: parted.text("cloud_stream_path")), to: downloaded)
    XCTAssertEqual(try sha256Hex(ofFile: downloaded), parted.text("clip_sha256"))
    XCTAssertEqual(try server.store().openMultipartUploads(bucket: bucket), [])
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: home.file("work")), [])
  }

  /// Stops the camera (SIGSTOP) partway through the first window that has media for two parts of 5 MiB and more to
  /// come: that window cannot end before the follower, however late it runs, has sent a part of it.
  func holdCamera(_ camera: LiveCamera, _ stream: String) throws -> Bool {
    try eventually(timeout: 60, "a window with two parts' worth of media") {
      var bytes: [Int64: Int64] = [:]
      for fragment in try testbed.fragments(stream) {
        guard let server = fragment["server"]?.doubleValue, let size = fragment["bytes"]?.integerValue else { continue }
        bytes[Int64(server / 10), default: 0] += size
      }
      guard let newest = bytes.keys.max(), bytes[newest]! >= 12 << 20 else { return false }
      kill(camera.process.processIdentifier, SIGSTOP)
      return true
    }
    return true
  }

  /// The first window sent in parts (its ETag says how many); the windows before it were sent whole.
  func waitForPartedWindow(_ follower: FollowProcess) throws -> Record {
    for count in 1...6 {
      let record = try follower.waitForRecords(count)[count - 1]
      if record.text("cloud_stream_path_etag").contains("-") { return record }
    }
    throw TestFailure("no window was sent in parts: \(follower.records.map { $0.text("cloud_stream_path_etag") })")
  }
}
