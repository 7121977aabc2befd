import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// `--ca-bundle`, `AWS_CA_BUNDLE` and a profile's `ca_bundle` against AWS endpoints on TLS whose certificate a CA
/// of the test signed (the identity testbed over HTTPS): KVS, STS and the SSO portal verify with it (S3:
/// BlobEndToEndTests' S3CABundleTests).
final class CABundleTests: AWSEnvironmentTestCase {
  var server: AWSIdentityServer!

  override func setUpWithError() throws {
    try super.setUpWithError()
    server = try useIdentityServerAsReader(tls: true)
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

    try writeSSOToken(for: "https://corp.awsapps.com/start", token: server.ssoToken)
    let sso = try discover(["--profile", "sso"])
    XCTAssertEqual(sso.status, 0, sso.stderr)
    XCTAssertTrue(sso.stdout.contains("identity-cam-1"), sso.stdout)
    let untrusted = try discover(["--profile", "sso", "--ca-bundle", server.otherCAFile])
    XCTAssertNotEqual(untrusted.status, 0)
  }
}
