import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// `--ca-bundle`, `AWS_CA_BUNDLE` and a profile's `ca_bundle` against AWS endpoints on TLS whose certificate a CA
/// of the test signed (the identity testbed over HTTPS): KVS, S3, STS and the SSO portal all verify with it.
final class CABundleTests: AWSEnvironmentTestCase {
  var server: AWSIdentityServer!

  override func setUpWithError() throws {
    try super.setUpWithError()
    server = try useIdentityServer(tls: true)
    setenv("AWS_ACCESS_KEY_ID", server.reader.accessKeyId, 1)
    setenv("AWS_SECRET_ACCESS_KEY", server.reader.secretAccessKey, 1)
  }

  func discover(_ arguments: [String] = []) throws -> ToolResult {
    try ToolInvocation.run("kvs-discover", ["--no-cache"] + arguments)
  }

  func testKVSVerifiesWithTheBundleFromEachPlaceInOrder() throws {
    let untrusted = try discover()
    XCTAssertNotEqual(untrusted.status, 0)
    XCTAssertTrue(untrusted.stderr.lowercased().contains("certificate"), untrusted.stderr)
    XCTAssertEqual(untrusted.stdout, "")

    let flag = try discover(["--ca-bundle", server.caFile])
    XCTAssertEqual(flag.status, 0, flag.stderr)
    XCTAssertTrue(flag.stdout.contains("identity-cam-1"), flag.stdout)

    setenv("AWS_CA_BUNDLE", server.caFile, 1)
    let environment = try discover()
    XCTAssertEqual(environment.status, 0, environment.stderr)
    XCTAssertNotEqual(try discover(["--ca-bundle", server.otherCAFile]).status, 0, "the flag beats AWS_CA_BUNDLE")

    unsetenv("AWS_CA_BUNDLE")
    try writeConfig("[default]\nca_bundle = \(server.caFile)\n")
    XCTAssertEqual(try discover().status, 0, "the profile's ca_bundle")
    setenv("AWS_CA_BUNDLE", server.otherCAFile, 1)
    XCTAssertNotEqual(try discover().status, 0, "AWS_CA_BUNDLE beats the profile's ca_bundle")
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

  /// A role profile's AssumeRole and an SSO profile's GetRoleCredentials go over the same TLS.
  func testSTSAndTheSSOPortalVerifyWithTheProfilesBundle() throws {
    unsetenv("AWS_ACCESS_KEY_ID")
    unsetenv("AWS_SECRET_ACCESS_KEY")
    try writeConfig(
      """
      [profile cross]
      role_arn = \(server.roles["cross"]!)
      source_profile = base
      ca_bundle = \(server.caFile)
      [profile sso]
      sso_start_url = https://corp.awsapps.com/start
      sso_region = us-east-1
      sso_account_id = \(server.accountId)
      sso_role_name = Viewer
      ca_bundle = \(server.caFile)
      """,
      credentials: """
        [base]
        aws_access_key_id = \(server.source.accessKeyId)
        aws_secret_access_key = \(server.source.secretAccessKey)
        """)
    let role = try discover(["--profile", "cross"])
    XCTAssertEqual(role.status, 0, role.stderr)
    XCTAssertTrue(role.stdout.contains("identity-cam-1"), role.stdout)

    let directory = scratch.file(".aws/sso/cache")
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let hash = try ToolInvocation.runProcess(
      "/bin/sh", ["-c", "printf %s https://corp.awsapps.com/start | sha1sum | cut -c1-40"]
    ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    try "{\"accessToken\": \"\(server.ssoToken)\", \"expiresAt\": \"2099-01-01T00:00:00Z\"}".write(
      toFile: directory + "/\(hash).json", atomically: true, encoding: .utf8)
    let sso = try discover(["--profile", "sso"])
    XCTAssertEqual(sso.status, 0, sso.stderr)
    XCTAssertTrue(sso.stdout.contains("identity-cam-1"), sso.stdout)
    let untrusted = try discover(["--profile", "sso", "--ca-bundle", server.otherCAFile])
    XCTAssertNotEqual(untrusted.status, 0)
  }
}
