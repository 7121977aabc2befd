import CliplineAWS
import CliplineBlobStores
import CliplineCrypto
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// `kvs-clip --to`: the clip goes from the KVS testbed's GetClip straight into SeaweedFS S3, with nothing on disk.
final class ClipStreamingUploadTests: XCTestCase {
  /// 70 s of 640x360: a 60 s clip of about 12 MB, several 5 MiB parts.
  static let large = FixtureVideo.Spec(seconds: 70, width: 640, height: 360, fps: 25, gopFrames: 50)
  static let small = FixtureVideo.Spec(seconds: 70, width: 160, height: 120, fps: 25, gopFrames: 50)
  static let parts = ["--part-size", "5M", "--multipart-threshold", "5M"]

  var testbed: KVSTestbed!
  var s3: S3Store!
  var s3Environment: [String: String] = [:]
  var work: ScratchDirectory!

  override func setUpWithError() throws {
    testbed = try KVSTestbed()
    let endpoint = try TestServices.require("AWS_ENDPOINT_URL_S3")
    let key = try TestServices.require("CLIPLINE_TEST_S3_ACCESS_KEY_ID")
    let secret = try TestServices.require("CLIPLINE_TEST_S3_SECRET_ACCESS_KEY")
    var configuration = S3Configuration(
      endpoint: endpoint, region: "us-east-1",
      credentials: StaticCredentialsProvider(AWSCredentials(accessKeyId: key, secretAccessKey: secret)),
      addressing: .path)
    configuration.retry = RetryPolicy(attempts: 2, baseDelay: 0.05, maximumDelay: 0.2)
    // As the tool is run (`parts`): head() reads a multipart upload's SHA-256 tag from this size up.
    configuration.multipartThreshold = 5 << 20
    s3 = S3Store(configuration: configuration)
    // The testbed does not check signatures: one identity, S3's, serves both.
    s3Environment = [
      "AWS_ENDPOINT_URL_S3": endpoint, "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret,
      "AWS_EC2_METADATA_DISABLED": "true",
    ]
    work = try ScratchDirectory("kvs-clip-stream")
  }

  func bucket(_ label: String) throws -> String {
    let name = "clipline-\(label)-\(UInt32.random(in: 0...UInt32.max))"
    try s3.createBucket(name)
    return name
  }

  func task(_ stream: (name: String, arn: String)) -> String {
    #"{"camera_id":"cam","stream_name":"\#(stream.name)","start_time":"2026-02-26T14:30:05Z","end_time":"2026-02-26T14:31:05Z","process_id":9}"#
      + "\n"
  }

  func run(_ arguments: [String], stdin: String, s3Endpoint: String? = nil, temporary: String? = nil) throws
    -> ToolResult
  {
    var environment = testbed.environment(home: work.path).merging(s3Environment) { _, s3 in s3 }
    if let s3Endpoint { environment["AWS_ENDPOINT_URL_S3"] = s3Endpoint }
    if let temporary { environment["TMPDIR"] = temporary }
    return try ToolInvocation.run(
      "kvs-clip", arguments, stdin: stdin, environment: environment, removingEnvironment: KVSTestbed.removedEnvironment)
  }

  /// Every file under `directory` (the work directory must stay empty unless a local copy was asked for).
  func files(under directory: String) -> [String] {
    (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []).filter {
      var isDirectory: ObjCBool = false
      let exists = FileManager.default.fileExists(atPath: directory + "/" + $0, isDirectory: &isDirectory)
      return exists && !isDirectory.boolValue
    }
  }

  func object(_ bucket: String, _ key: String) throws -> Data {
    let path = work.file("downloaded-\(UUID().uuidString)")
    _ = try s3.get(.s3(bucket: bucket, key: key), to: path)
    defer { unlink(path) }
    return try Data(contentsOf: URL(fileURLWithPath: path))
  }

  /// One PUT sent while the clip arrives, and a second destination on another service fed from the same body.
  func testTheUploadedObjectIsByteForByteTheClipThatWouldLandOnDisk() throws {
    let stream = try testbed.createStream("stream", video: try FixtureVideo.path(Self.large))
    let bucket = try bucket("kvs-stream")
    let onDisk = try run(["--work-dir", work.file("disk")], stdin: task(stream))
    XCTAssertEqual(onDisk.status, 0, onDisk.stderr)
    let diskRecord = try XCTUnwrap(try onDisk.records().first)
    let clip = try Data(contentsOf: URL(fileURLWithPath: try XCTUnwrap(diskRecord["clip_path"]?.stringValue)))
    XCTAssertGreaterThan(clip.count, 6 << 20, "the clip must need several parts")

    let archive = work.file("archive")
    let streamed = try run(
      [
        "--work-dir", work.file("streamed"), "--to",
        "s3://\(bucket)/live/{camera_id}/{start_time}.mp4=cloud_stream_path",
        "--to", "file://\(archive)/{camera_id}.mp4=archive_path",
      ] + Self.parts, stdin: task(stream))
    XCTAssertEqual(streamed.status, 0, streamed.stderr)
    let record = try XCTUnwrap(try streamed.records().first)
    XCTAssertEqual(record["cloud_stream_path"], .string("s3://\(bucket)/live/cam/2026-02-26T14-30-05Z.mp4"))
    XCTAssertEqual(try object(bucket, "live/cam/2026-02-26T14-30-05Z.mp4"), clip)
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: archive + "/cam.mp4")), clip)
    let digest = Digest.sha256(clip).hexString
    XCTAssertEqual(record["clip_sha256"], .string(digest))
    XCTAssertEqual(diskRecord["clip_sha256"], .string(digest))
    XCTAssertEqual(record["clip_bytes"], .integer(Int64(clip.count)))
    XCTAssertEqual(record["process_id"], .integer(9))
    // GetClip said its length, so the clip went in one PUT as it arrived (not multipart, whatever the threshold);
    // the whole SHA-256 is stored with the object.
    XCTAssertFalse(record["cloud_stream_path_etag"]?.stringValue?.contains("-") ?? true, "\(record)")
    XCTAssertEqual(try s3.head(.s3(bucket: bucket, key: "live/cam/2026-02-26T14-30-05Z.mp4"))?.sha256, digest)
    XCTAssertNotNil(record["archive_path_etag"])
    XCTAssertNil(record["clip_path"])
    XCTAssertEqual(record["clip_duration"]?.doubleValue ?? 0, 60, accuracy: 0.1)
    XCTAssertEqual(record["clip_start_time"], diskRecord["clip_start_time"])
    XCTAssertEqual(files(under: work.file("streamed")), [], "nothing is written to the work directory")
    XCTAssertEqual(try s3.openMultipartUploads(bucket: bucket), [])
  }

  /// A small clip goes up in one PUT from memory; --keep-local leaves the same bytes in the work directory.
  func testASmallClipIsOnePutAndKeepLocalKeepsTheSameBytes() throws {
    let stream = try testbed.createStream("small", video: try FixtureVideo.path(Self.small))
    let bucket = try bucket("kvs-small")
    let result = try run(
      [
        "--work-dir", work.path, "--to", "s3://\(bucket)/live/{camera_id}.mp4=cloud_stream_path", "--keep-local",
        "--ttl", "cloud_stream_path=1h", "--presign", "10m",
      ], stdin: task(stream))
    XCTAssertEqual(result.status, 0, result.stderr)
    let record = try XCTUnwrap(try result.records().first)
    let path = try XCTUnwrap(record["clip_path"]?.stringValue)
    XCTAssertEqual(path, work.path + "/cam/2026-02-26T14-30-05Z.mp4")
    let kept = try Data(contentsOf: URL(fileURLWithPath: path))
    XCTAssertEqual(try object(bucket, "live/cam.mp4"), kept)
    XCTAssertEqual(record["clip_sha256"], .string(Digest.sha256(kept).hexString))
    XCTAssertFalse(record["cloud_stream_path_etag"]?.stringValue?.contains("-") ?? true, "one PUT, not multipart")
    XCTAssertNotNil(record["cloud_stream_path_expires_at"])
    XCTAssertNotNil(record["cloud_stream_path_presigned_url"])
    XCTAssertEqual(try s3.expiry(of: .s3(bucket: bucket, key: "live/cam.mp4")).map { _ in true }, true)
  }

  /// Without --work-dir, kvs-clip --to works in a directory of its own under $TMPDIR: once the clip is stored, or
  /// the upload failed, nothing of it is left there (it left an empty kvs-clip.XXXXXX each run).
  func testARunWithoutAWorkDirectoryLeavesNothingInTMPDIR() throws {
    let stream = try testbed.createStream("tmpdir", video: try FixtureVideo.path(Self.small))
    let bucket = try bucket("kvs-tmpdir")
    let temporary = work.file("tmp")
    try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
    let closed = "http://127.0.0.1:\(try PrometheusServer.freePort())"  // nothing listens: the upload fails
    for endpoint in [nil, closed] {
      let result = try run(
        ["--to", "s3://\(bucket)/live/{camera_id}.mp4=cloud_stream_path"], stdin: task(stream), s3Endpoint: endpoint,
        temporary: temporary)
      XCTAssertEqual(result.status, endpoint == nil ? 0 : 69, result.stderr)
      XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temporary), [], result.stderr)
    }
  }

  /// The body is corrupted on the way (the server refuses its trailing checksum): no object, no record, no file, and
  /// the exit code is the refused data's.
  func testAnUploadFailingMidStreamLeavesNoObjectAndNoOpenUpload() throws {
    let stream = try testbed.createStream("fail", video: try FixtureVideo.path(Self.large))
    let bucket = try bucket("kvs-fail")
    let proxy = try FaultProxy(upstream: try TestServices.require("AWS_ENDPOINT_URL_S3"), corrupt: "requests")
    let result = try run(
      ["--work-dir", work.file("clips"), "--to", "s3://\(bucket)/live/{camera_id}.mp4=cloud_stream_path"] + Self.parts,
      stdin: task(stream), s3Endpoint: proxy.endpoint)
    XCTAssertEqual(result.status, 65, result.stderr)
    XCTAssertTrue(result.stderr.contains("s3://\(bucket)/live/cam.mp4"), result.stderr)
    XCTAssertEqual(result.stdout, "")
    XCTAssertNil(try s3.head(.s3(bucket: bucket, key: "live/cam.mp4")))
    XCTAssertEqual(try s3.openMultipartUploads(bucket: bucket), [])
    XCTAssertEqual(files(under: work.file("clips")), [])
    withExtendedLifetime(proxy) {}
  }

  /// SIGTERM while the clip goes up a slow link: exit 75, nothing stored, nothing open, nothing on disk.
  func testSIGTERMMidStreamExits75AndLeavesNothing() throws {
    let stream = try testbed.createStream("sigterm", video: try FixtureVideo.path(Self.large))
    let bucket = try bucket("kvs-sigterm")
    let proxy = try FaultProxy(upstream: try TestServices.require("AWS_ENDPOINT_URL_S3"), rate: 2)
    var environment = testbed.environment(home: work.path).merging(s3Environment) { _, s3 in s3 }
    environment["AWS_ENDPOINT_URL_S3"] = proxy.endpoint
    let tool = try RunningTool(
      "kvs-clip",
      ["--work-dir", work.file("clips"), "--to", "s3://\(bucket)/live/{camera_id}.mp4=cloud_stream_path"] + Self.parts,
      environment: environment, removingEnvironment: KVSTestbed.removedEnvironment)
    try tool.write(task(stream))
    try tool.closeInput()
    // About 12 MB at 2 MB/s: still on the link after 2 s (a tool that had finished would exit 0, not 75).
    Thread.sleep(forTimeInterval: 2)
    tool.terminate()
    let output = tool.finish()
    XCTAssertEqual(tool.status, 75)
    XCTAssertEqual(output, Data())
    XCTAssertNil(try s3.head(.s3(bucket: bucket, key: "live/cam.mp4")))
    XCTAssertEqual(try s3.openMultipartUploads(bucket: bucket), [])
    XCTAssertEqual(files(under: work.file("clips")), [])
    withExtendedLifetime(proxy) {}
  }
}
