import CliplineKVS
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

final class TaskWindowTests: XCTestCase {
  func testHugeWindowsDelaysAndFarTimesAreUsageErrors() throws {
    for (arguments, expected) in [
      (["--window", "1000000000d"], "--window must be at most 366d."),
      (["--window", "60s", "--delay", "1000000000d"], "--delay must be at most 366d."),
      (["--window", "366d", "--at", "0001-06-01T00:00:00Z"], "outside the years 0001–9999"),
    ] {
      let result = try ToolInvocation.run("kvs-discover", ["--no-cache"] + arguments)
      XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
      XCTAssertTrue(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
      XCTAssertEqual(result.stdout, "")
    }
  }

  func testTheLastWholeWindowThatEndedBeforeTheDelay() {
    let now = RFC3339.parse("2026-02-26T14:31:10Z")!
    let plain = TaskWindow(length: 60).range(now: now)
    XCTAssertEqual(RFC3339.format(plain.start), "2026-02-26T14:30:00Z")
    XCTAssertEqual(RFC3339.format(plain.end), "2026-02-26T14:31:00Z")
    let delayed = TaskWindow(length: 60, delay: 30).range(now: now)
    XCTAssertEqual(RFC3339.format(delayed.start), "2026-02-26T14:29:00Z")
    // A rerun anywhere in the same window makes the same task.
    XCTAssertEqual(TaskWindow(length: 60).range(now: RFC3339.parse("2026-02-26T14:31:59.9Z")!).start, plain.start)
  }

  func testTheTaskIsTheSeedMessageAndTemplatesFillHoles() throws {
    let camera = CameraRecord(
      stream: KVSStreamInfo(
        streamName: "FrontEntrance", streamARN: "arn:aws:kinesisvideo:us-east-1:123456789012:stream/FrontEntrance/9999",
        status: "ACTIVE", mediaType: "video/h264", dataRetentionInHours: 24, creationTime: nil),
      cameraId: "camera_front_entrance")
    let builder = KVSTaskBuilder(
      processId: .integer(501), inferenceConfig: .object(["vlm_provider": .string("bedrock")]),
      template: ["job": .string("{camera_id}-{window_start}"), "epoch": .string("{window_start}")])
    let task = try builder.task(
      for: camera, start: RFC3339.parse("2026-02-26T14:30:00Z")!, end: RFC3339.parse("2026-02-26T14:31:00Z")!)
    XCTAssertEqual(task["camera_id"], .string("camera_front_entrance"))
    XCTAssertEqual(task["start_time"], .string("2026-02-26T14:30:00Z"))
    XCTAssertEqual(task["end_time"], .string("2026-02-26T14:31:00Z"))
    XCTAssertEqual(task["process_id"], .integer(501))
    XCTAssertEqual(task["job"], .string("camera_front_entrance-1772116200"))
    XCTAssertEqual(task["epoch"], .integer(1_772_116_200))
  }

  func testATaskWithoutAProcessIdGetsOneOfItsCameraAndWindow() throws {
    func task(_ camera: String, _ start: String) throws -> Record {
      let record = CameraRecord(
        stream: KVSStreamInfo(
          streamName: camera, streamARN: "arn:aws:kinesisvideo:us-east-1:123456789012:stream/\(camera)/1",
          status: "ACTIVE", mediaType: "video/h264", dataRetentionInHours: 24, creationTime: nil),
        cameraId: camera)
      let from = try XCTUnwrap(RFC3339.parse(start))
      return try KVSTaskBuilder(processId: nil, inferenceConfig: nil)
        .task(for: record, start: from, end: from.addingTimeInterval(60))
    }
    var ids: Set<Int64> = []
    for camera in ["front", "back"] {
      for start in ["2026-02-26T14:30:00Z", "2026-02-26T14:31:00Z"] {
        let first = try task(camera, start)
        let id = try XCTUnwrap(first["process_id"]?.integerValue, "\(camera) \(start)")
        XCTAssertLessThan(abs(id), 1 << 53, "exact in every JSON reader")
        XCTAssertEqual(try task(camera, start)["process_id"], .integer(id), "the same window again, the same id")
        XCTAssertEqual(first["inference_config"], .object([:]), "always present, {} when none was given")
        ids.insert(id)
      }
    }
    XCTAssertEqual(ids.count, 4)
    // The backend's own id, or a template's, wins.
    let given = KVSTaskBuilder(processId: .integer(7), inferenceConfig: nil)
    let camera = CameraRecord(
      stream: KVSStreamInfo(
        streamName: "s", streamARN: "arn:aws:kinesisvideo:us-east-1:1:stream/s/1", status: "ACTIVE",
        mediaType: "video/h264", dataRetentionInHours: 24, creationTime: nil),
      cameraId: "s")
    XCTAssertEqual(try given.task(for: camera, start: Date(), end: Date())["process_id"], .integer(7))
  }
}
