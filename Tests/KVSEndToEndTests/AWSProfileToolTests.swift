import CliplineTestSupport
import Foundation
import XCTest

/// kvs-discover with the AWS settings people have, against moto with its authorization on (the identity testbed):
/// a missing profile and a missing region are said (78), a role profile lists what only the role may, an SSO
/// profile trades the aws CLI's token, and an expired login says to log in again (77).
final class AWSProfileToolTests: AWSEnvironmentTestCase {
  var server: AWSIdentityServer!

  override func setUpWithError() throws {
    try super.setUpWithError()
    server = try AWSIdentityServer.shared()
    setenv("AWS_ENDPOINT_URL", server.endpoint, 1)
  }

  func discover(_ arguments: [String]) throws -> ToolResult {
    try ToolInvocation.run("kvs-discover", ["--no-cache"] + arguments)
  }

  func testAMissingProfileAndAMissingRegionAreSaid() throws {
    setenv("AWS_ACCESS_KEY_ID", server.reader.accessKeyId, 1)
    setenv("AWS_SECRET_ACCESS_KEY", server.reader.secretAccessKey, 1)
    let missingProfile = try discover(["--profile", "nope"])
    XCTAssertEqual(missingProfile.status, 78, missingProfile.stderr)
    XCTAssertTrue(missingProfile.stderr.contains("profile \"nope\""), missingProfile.stderr)
    XCTAssertEqual(missingProfile.stdout, "")

    let noRegion = try discover([])
    XCTAssertEqual(noRegion.status, 78, noRegion.stderr)
    XCTAssertTrue(noRegion.stderr.contains("you must specify a region"), noRegion.stderr)
    XCTAssertEqual(noRegion.stdout, "")
    XCTAssertEqual(noRegion.stderr.split(separator: "\n").count, 1, noRegion.stderr)

    // Any one of the places the aws CLI reads a region from is enough.
    let flag = try discover(["--region", "us-east-1"])
    XCTAssertEqual(flag.status, 0, flag.stderr)
    XCTAssertTrue(flag.stdout.contains("identity-cam-1"), flag.stdout)
    try writeConfig("[default]\nregion = us-east-1\n")
    let fromProfile = try discover([])
    XCTAssertEqual(fromProfile.status, 0, fromProfile.stderr)
    XCTAssertTrue(fromProfile.stdout.contains("identity-cam-1"), fromProfile.stdout)
  }

  /// kvs-clip and kvs-follow reach KVS through the same settings: no region anywhere is their 78 too, said once,
  /// before any request.
  func testEveryKVSToolNeedsARegion() throws {
    setenv("AWS_ACCESS_KEY_ID", server.reader.accessKeyId, 1)
    setenv("AWS_SECRET_ACCESS_KEY", server.reader.secretAccessKey, 1)
    let task =
      #"{"camera_id":1,"stream_name":"identity-cam-1","start_time":"2026-01-01T00:00:00Z","#
      + #""end_time":"2026-01-01T00:01:00Z"}"#
    let runs = [
      "kvs-clip": try ToolInvocation.run("kvs-clip", [], stdin: task + "\n"),
      "kvs-follow": try ToolInvocation.run("kvs-follow", ["--stream", "identity-cam-1", "--window", "10s"]),
    ]
    for (tool, run) in runs {
      XCTAssertEqual(run.status, 78, "\(tool): \(run.stderr)")
      XCTAssertTrue(run.stderr.contains("you must specify a region for Kinesis Video Streams"), run.stderr)
      XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
      XCTAssertEqual(run.stdout, "", tool)
    }
  }

  /// The role may list streams and the source user may not, so a listing proves the role signed it.
  func testARoleProfileListsWhatOnlyTheRoleMay() throws {
    setenv("AWS_REGION", "us-east-1", 1)
    try writeRoleProfiles(server)
    let role = try discover(["--profile", "cross"])
    XCTAssertEqual(role.status, 0, role.stderr)
    XCTAssertTrue(role.stdout.contains("\"stream_name\":\"identity-cam-1\""), role.stdout)
    let source = try discover(["--profile", "base"])
    XCTAssertEqual(source.status, 77, source.stderr)
  }

  func testAnSSOProfileAndAnExpiredLogin() throws {
    setenv("AWS_REGION", "us-east-1", 1)
    try writeConfig(ssoSessionProfile(server))
    try writeSSOToken(for: "corp", token: server.ssoToken)
    let sso = try discover(["--profile", "sso"])
    XCTAssertEqual(sso.status, 0, sso.stderr)
    XCTAssertTrue(sso.stdout.contains("identity-cam-1"), sso.stdout)
    try writeSSOToken(for: "corp", token: server.ssoToken, expiresIn: -60)
    let expired = try discover(["--profile", "sso"])
    XCTAssertEqual(expired.status, 77, expired.stderr)
    XCTAssertTrue(expired.stderr.contains("aws sso login --profile sso"), expired.stderr)
    XCTAssertFalse(expired.stderr.contains(server.ssoToken), expired.stderr)
  }
}
