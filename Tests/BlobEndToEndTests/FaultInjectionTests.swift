import CliplineBlobStores
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// Faults injected in front of the real SeaweedFS by scripts/testbeds/fault_proxy.py (which passes the Host header
/// through, so the server still verifies every signature): 503 SlowDown is retried with backoff, then exit 75;
/// bytes corrupted on the way up are refused by the server's checksum check, on the way down by ours.
final class FaultInjectionTests: XCTestCase {
  var server: S3TestServer!
  var scratch: ScratchDirectory!

  override func setUpWithError() throws {
    server = try S3TestServer.require()
    scratch = try ScratchDirectory("throttle")
  }

  func startProxy(failFirst: Int = 0, corrupt: String? = nil) throws -> (FaultProxy, String) {
    let proxy = try FaultProxy(upstream: server.endpoint, failFirst: failFirst, corrupt: corrupt)
    return (proxy, proxy.endpoint)
  }

  func testSlowDownIsRetriedThenSucceeds() throws {
    let bucket = try server.makeBucket("slowdown")
    let (proxy, endpoint) = try startProxy(failFirst: 2)
    defer { withExtendedLifetime(proxy) {} }
    let file = scratch.file("a.bin")
    try writeRandomFile(file, bytes: 50_000)
    let result = try ToolInvocation.run(
      "blob-put", ["--to", "s3://\(bucket)/a.bin", "--attempts", "4"],
      stdin: Record(["chunk_path": .string(file)]).jsonText + "\n",
      environment: server.toolEnvironment.merging(["AWS_ENDPOINT_URL_S3": endpoint]) { _, new in new },
      removingEnvironment: S3TestServer.unrelatedVariables)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(try server.store().head(.s3(bucket: bucket, key: "a.bin"))?.bytes, 50_000)
  }

  /// A byte flipped in transit: the server refuses the object (single PUT and multipart part), or, where it checks
  /// nothing (moto), the object read back is refused; either way nothing appears.
  func testCorruptedUploadsAreRefusedByTheServer() throws {
    let bucket = try server.makeBucket("corrupt-up")
    let (proxy, endpoint) = try startProxy(corrupt: "requests")
    defer { withExtendedLifetime(proxy) {} }
    for (name, size) in [("small.bin", 100_000), ("large.bin", 11 << 20)] {
      let file = scratch.file(name)
      try writeRandomFile(file, bytes: size)
      let result = try ToolInvocation.run(
        "blob-put", ["--to", "s3://\(bucket)/\(name)", "--part-size", "5M", "--multipart-threshold", "5M"],
        stdin: Record(["chunk_path": .string(file)]).jsonText + "\n",
        environment: server.toolEnvironment.merging(["AWS_ENDPOINT_URL_S3": endpoint]) { _, new in new },
        removingEnvironment: S3TestServer.unrelatedVariables)
      XCTAssertEqual(result.status, 65, "\(name): \(result.stderr)")
      // SeaweedFS refuses the bytes against their checksum; moto stores them, and the read-back refuses them.
      let refused = ["BadDigest", "Checksum", "the server did not check the SHA-256"]
      XCTAssertTrue(refused.contains { result.stderr.contains($0) }, result.stderr)
      XCTAssertNil(try server.store().head(.s3(bucket: bucket, key: name)), "no corrupted object may appear")
    }
    XCTAssertEqual(try server.store().openMultipartUploads(bucket: bucket), [], "the refused upload was aborted")
  }

  /// A byte flipped on the way down: the download fails its SHA-256 check and no file is left behind.
  func testCorruptedDownloadsAreCaught() throws {
    let bucket = try server.makeBucket("corrupt-down")
    let file = scratch.file("a.bin")
    try writeRandomFile(file, bytes: 300_000)
    _ = try server.store().put(.file(file), to: .s3(bucket: bucket, key: "a.bin"), options: BlobPutOptions())
    let (proxy, endpoint) = try startProxy(corrupt: "responses")
    defer { withExtendedLifetime(proxy) {} }
    let output = scratch.file("out.bin")
    let result = try ToolInvocation.run(
      "blob-get", ["s3://\(bucket)/a.bin", "--output", output],
      environment: server.toolEnvironment.merging(["AWS_ENDPOINT_URL_S3": endpoint]) { _, new in new },
      removingEnvironment: S3TestServer.unrelatedVariables)
    XCTAssertEqual(result.status, 65, result.stderr)
    XCTAssertTrue(result.stderr.contains("integrity check failed"), result.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: output))
  }

  func testEndlessSlowDownExits75() throws {
    let (proxy, endpoint) = try startProxy(failFirst: -1)
    defer { withExtendedLifetime(proxy) {} }
    let file = scratch.file("a.bin")
    try writeRandomFile(file, bytes: 1000)
    let result = try ToolInvocation.run(
      "blob-put", ["--to", "s3://bucket/live/a.bin", "--attempts", "3"],
      stdin: Record(["chunk_path": .string(file)]).jsonText + "\n",
      environment: server.toolEnvironment.merging(["AWS_ENDPOINT_URL_S3": endpoint]) { _, new in new },
      removingEnvironment: S3TestServer.unrelatedVariables)
    XCTAssertEqual(result.status, 75, result.stderr)
    XCTAssertTrue(result.stderr.contains("SlowDown") && result.stderr.contains("s3://bucket/live/a.bin"), result.stderr)
  }

  /// The SHA-256 of a multipart upload is a tag. When reading the tags fails (here every `?tagging` request is
  /// throttled until the retries run out), the object's digest is unknown: HEAD fails with 75 rather than report
  /// an object with no recorded digest, which would let its download go unverified.
  func testAFailedTagReadFailsTheHeadInsteadOfDroppingTheRecordedDigest() throws {
    let bucket = try server.makeBucket("tagless")
    let file = scratch.file("a.bin")
    try writeRandomFile(file, bytes: 12 << 20)
    let location = BlobLocation.s3(bucket: bucket, key: "a.bin")
    _ = try server.store().put(.file(file), to: location, options: BlobPutOptions())  // 5 MiB parts: multipart
    XCTAssertNotNil(try server.store().head(location)?.sha256, "the digest is recorded, as a tag")
    let proxy = try FaultProxy(upstream: server.endpoint, failQuery: "tagging")
    var configuration = server.configuration()
    configuration.endpoint = proxy.endpoint
    XCTAssertThrowsError(try S3Store(configuration: configuration).head(location)) { error in
      XCTAssertEqual(ExitStatus.of(error), .temporaryFailure, "\(error)")
    }
  }
}
