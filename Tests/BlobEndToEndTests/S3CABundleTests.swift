import CliplineTestSupport
import Foundation
import XCTest

/// blob-put to S3 over TLS whose certificate a CA of the test signed (the identity testbed over HTTPS): refused
/// without the CA, stored with `--ca-bundle`, and the aws CLI, trusting the same CA, finds the object.
final class S3CABundleTests: AWSEnvironmentTestCase {
  var server: AWSIdentityServer!

  override func setUpWithError() throws {
    try super.setUpWithError()
    server = try useIdentityServerAsReader(tls: true)
  }

  func testS3UploadsVerifyWithTheBundle() throws {
    let file = scratch.file("clip.bin")
    try Data(repeating: 7, count: 1000).write(to: URL(fileURLWithPath: file))
    let record = "{\"clip_path\":\"\(file)\"}\n"
    let destination = ["--to", "s3://identity-bucket/ca/clip.bin=cloud_stream_path"]
    let untrusted = try ToolInvocation.run("blob-put", destination, stdin: record)
    XCTAssertNotEqual(untrusted.status, 0)
    let trusted = try ToolInvocation.run("blob-put", destination + ["--ca-bundle", server.caFile], stdin: record)
    XCTAssertEqual(trusted.status, 0, trusted.stderr)
    // The aws CLI, trusting the same CA, finds the object.
    let head = try ToolInvocation.runProcess(
      "/usr/bin/env",
      [
        "aws", "s3api", "head-object", "--bucket", "identity-bucket", "--key", "ca/clip.bin", "--ca-bundle",
        server.caFile,
        "--region", "us-east-1", "--query", "ContentLength",
      ])
    XCTAssertEqual(head.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "1000", head.stderr)
  }
}
