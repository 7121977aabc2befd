import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

@testable import CliplineAWS

/// IAM Identity Center profiles: the aws CLI's token cache traded at the portal (the identity testbed's; moto has
/// none) for keys moto's authorization accepts, in both forms of the config the aws CLI writes.
final class SSOCredentialTests: AWSEnvironmentTestCase {
  var server: AWSIdentityServer!
  let startURL = "https://corp.awsapps.com/start"

  override func setUpWithError() throws {
    try super.setUpWithError()
    server = try useIdentityServer()
    let others = """
      [profile legacy]
      sso_start_url = \(startURL)
      sso_region = eu-west-1
      sso_account_id = \(server.accountId)
      sso_role_name = Viewer

      [profile other-role]
      sso_session = corp
      sso_account_id = \(server.accountId)
      sso_role_name = Admin

      [profile half]
      sso_session = corp
      sso_account_id = \(server.accountId)

      [profile lost]
      sso_session = elsewhere
      sso_account_id = \(server.accountId)
      sso_role_name = Viewer
      """
    try writeConfig(ssoSessionProfile(server) + others)
  }

  /// The portal hands out the "Viewer" role's credentials, fresh from moto's STS.
  func assertViewerRole(_ credentials: AWSCredentials, file: StaticString = #filePath, line: UInt = #line) throws {
    let assumed = try server.assumedRoles().first { $0["access_key_id"]?.stringValue == credentials.accessKeyId }
    XCTAssertEqual(assumed?["role_arn"]?.stringValue, server.roles["Viewer"], file: file, line: line)
  }

  func writeToken(for name: String, token: String? = nil, expiresIn: TimeInterval = 3600) throws {
    try writeSSOToken(for: name, token: token ?? server.ssoToken, expiresIn: expiresIn)
  }

  func testASessionProfileTradesTheCachedTokenForTheRolesKeys() throws {
    try writeToken(for: "corp")
    let chain = AWSCredentialChain.standard(profile: "sso")
    let credentials = try chain.credentials()
    try assertViewerRole(credentials)
    XCTAssertEqual(try chain.sourceName(), "profile sso")
    XCTAssertTrue((3500...3700).contains(try XCTUnwrap(credentials.expiration).timeIntervalSinceNow))
    // The aws CLI reads the same files the same way.
    let aws = try ToolInvocation.runProcess(
      "/usr/bin/env", ["aws", "kinesisvideo", "list-streams", "--profile", "sso", "--output", "text"])
    XCTAssertEqual(aws.status, 0, aws.stderr)
    XCTAssertTrue(aws.stdout.contains("identity-cam-1"), aws.stdout)
  }

  func testTheOlderFormIsKeyedByTheStartURL() throws {
    try writeToken(for: startURL)
    try assertViewerRole(try AWSCredentialChain.standard(profile: "legacy").credentials())
    XCTAssertThrowsError(try AWSCredentialChain.standard(profile: "sso").credentials(), "no token for the session")
  }

  func testAnExpiredLoginSaysToLogInAgainWithoutAskingThePortal() throws {
    try writeToken(for: "corp", expiresIn: -60)
    let before = try server.portalCalls()
    XCTAssertThrowsError(try AWSCredentialChain.standard(profile: "sso").credentials()) { error in
      XCTAssertEqual(ExitStatus.of(error), .permissionDenied)
      XCTAssertTrue(describe(error).contains("expired"), describe(error))
      XCTAssertTrue(describe(error).contains("aws sso login --profile sso"), describe(error))
      XCTAssertFalse(describe(error).contains(self.server.ssoToken), describe(error))
    }
    XCTAssertEqual(try server.portalCalls(), before)
  }

  func testNoLoginAndARefusedTokenSayToLogIn() throws {
    XCTAssertThrowsError(try AWSCredentialChain.standard(profile: "sso").credentials()) { error in
      XCTAssertEqual(ExitStatus.of(error), .configuration)
      XCTAssertTrue(describe(error).contains("run \"aws sso login --profile sso\""), describe(error))
    }
    try writeToken(for: "corp", token: "revoked-token")
    XCTAssertThrowsError(try AWSCredentialChain.standard(profile: "sso").credentials()) { error in
      XCTAssertEqual(ExitStatus.of(error), .permissionDenied)
      XCTAssertTrue(describe(error).contains("aws sso login --profile sso"), describe(error))
      XCTAssertFalse(describe(error).contains("revoked-token"), describe(error))
    }
    try writeToken(for: "corp")
    XCTAssertThrowsError(try AWSCredentialChain.standard(profile: "other-role").credentials()) { error in
      XCTAssertEqual(ExitStatus.of(error), .permissionDenied)
      XCTAssertTrue(describe(error).contains("ForbiddenException"), describe(error))
    }
  }

  func testIncompleteSSOProfilesSayWhatIsMissing() throws {
    XCTAssertThrowsError(try AWSCredentialChain.standard(profile: "half").credentials()) { error in
      XCTAssertEqual(ExitStatus.of(error), .configuration)
      XCTAssertTrue(describe(error).contains("sso_role_name"), describe(error))
    }
    XCTAssertThrowsError(try AWSCredentialChain.standard(profile: "lost").credentials()) { error in
      XCTAssertEqual(ExitStatus.of(error), .configuration)
      XCTAssertTrue(describe(error).contains("[sso-session elsewhere]"), describe(error))
    }
  }
}
