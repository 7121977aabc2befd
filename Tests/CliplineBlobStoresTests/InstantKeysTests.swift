import CliplineBlobStores
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// A `--to` hole filled with an RFC 3339 instant is written in key form (UTC, `:` → `-`, a fraction only when there
/// is one), so one instant written any of the ways producers write it is one object, keyed as the seed keys it.
final class InstantKeysTests: XCTestCase {
  func testOneInstantWrittenAnyWayIsOneKeyInKeyForm() throws {
    let scratch = try ScratchDirectory("instant-keys")
    let root = scratch.file("bucket")
    let uploader = RecordUploader(
      stores: BlobStoreSet(),
      destinations: [try UploadDestination(parsing: "file://\(root)/live/{camera_id}/{start_time}.mp4=url")])
    let clip = scratch.file("clip.mp4")
    try writeRandomFile(clip, bytes: 100)
    func key(_ startTime: String, camera: String = "cam") throws -> String? {
      let record = Record(
        ["camera_id": .string(camera), "start_time": .string(startTime), "clip_path": .string(clip)])
      return try uploader.upload(record)["url"]?.stringValue
    }
    let whole = "file://\(root)/live/cam/2026-02-26T14-30-00Z.mp4"
    let ways = [
      "2026-02-26T14:30:00Z", "2026-02-26t14:30:00z", "2026-02-26 14:30:00Z", "2026-02-26 14:30:00",
      "2026-02-26T14:30:00", "2026-02-26T14:30:00+00:00", "2026-02-26T14:30:00-00:00", "2026-02-26T15:30:00+01:00",
      "2026-02-26T09:00:00-05:30", "2026-02-26T14:30:00.000Z", "2026-02-26T14:30:00.0000000+00:00",
      "2026-02-27T00:30:00+10:00",
    ]
    for way in ways { XCTAssertEqual(try key(way), whole, way) }
    // A fraction is kept, without its trailing zeros, wherever the instant was written from.
    let half = "file://\(root)/live/cam/2026-02-26T14-30-00.5Z.mp4"
    for way in ["2026-02-26T14:30:00.5Z", "2026-02-26 15:30:00.500+01:00", "2026-02-26T14:30:00.50"] {
      XCTAssertEqual(try key(way), half, way)
    }
    XCTAssertEqual(try key("2026-02-26T14:30:00.125Z"), "file://\(root)/live/cam/2026-02-26T14-30-00.125Z.mp4")
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: root + "/live/cam").sorted(),
      ["2026-02-26T14-30-00.125Z.mp4", "2026-02-26T14-30-00.5Z.mp4", "2026-02-26T14-30-00Z.mp4"])
    // What is not an instant is written as it is: a date alone, a name.
    XCTAssertEqual(try key("2026-02-26"), "file://\(root)/live/cam/2026-02-26.mp4")
    XCTAssertEqual(try key("front-door"), "file://\(root)/live/cam/front-door.mp4")
    XCTAssertEqual(
      try key("2026-02-26T14:30:00Z", camera: "lobby"), "file://\(root)/live/lobby/2026-02-26T14-30-00Z.mp4")
  }
}
