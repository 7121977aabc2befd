import CliplineHTTP
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

@testable import CliplineAWS

/// Role profiles (`role_arn` with `source_profile` or `credential_source`) against moto's STS with its
/// authorization on: the source's keys must sign AssumeRole correctly, and the role's credentials what follows
/// (the source user may not list streams, the role may).
final class AssumeRoleTests: AWSEnvironmentTestCase {
  var server: AWSIdentityServer!

  override func setUpWithError() throws {
    try super.setUpWithError()
    server = try useIdentityServer()
  }

  /// Who moto says signed a request with these credentials (GetCallerIdentity).
  func caller(_ credentials: AWSCredentials) throws -> String {
    var request = HTTPRequest(
      method: "POST", url: server.endpoint + "/",
      headers: [("Content-Type", "application/x-www-form-urlencoded")],
      body: .bytes(Array("Action=GetCallerIdentity&Version=2011-06-15".utf8)))
    SigV4Signer(credentials: credentials, region: "us-east-1", service: "sts").sign(&request)
    let response = try HTTPClient().send(request).checkedAWS()
    return try XCTUnwrap(XMLScanner(response.body).text("Arn"))
  }

  func testARoleProfileAssumesItsRoleWithTheSourceProfilesKeys() throws {
    try writeRoleProfiles(
      server, cross: "external_id = ext-42\nrole_session_name = clipline-test\nduration_seconds = 900")
    let chain = AWSCredentialChain.standard(profile: "cross")
    let credentials = try chain.credentials()
    XCTAssertTrue(credentials.accessKeyId.hasPrefix("ASIA"), credentials.accessKeyId)
    XCTAssertEqual(try chain.sourceName(), "profile cross")
    XCTAssertEqual(try caller(credentials), "arn:aws:sts::\(server.accountId):assumed-role/cross/clipline-test")
    let expiresIn = try XCTUnwrap(credentials.expiration).timeIntervalSinceNow
    XCTAssertTrue((840...960).contains(expiresIn), "duration_seconds 900, expires in \(expiresIn) s")
    let assumed = try server.assumedRoles().first { $0["access_key_id"]?.stringValue == credentials.accessKeyId }
    XCTAssertEqual(assumed?["external_id"]?.stringValue, "ext-42")
    XCTAssertEqual(assumed?["role_arn"]?.stringValue, server.roles["cross"])
  }

  /// A long-running tool keeps one chain: a role's credentials are assumed again before they expire, not once per
  /// call while they last, and kept while STS cannot be reached as long as they still sign.
  func testOneChainRenewsAnAssumedRoleBeforeItExpires() throws {
    try writeRoleProfiles(server, cross: "role_session_name = renewed\nduration_seconds = 120")
    let chain = AWSCredentialChain.standard(profile: "cross")
    let assumedBefore = try server.assumedRoles().count
    let first = try chain.credentials()
    let second = try chain.credentials()
    XCTAssertNotEqual(second.accessKeyId, first.accessKeyId, "credentials 2 minutes from their expiry were reused")
    XCTAssertEqual(try server.assumedRoles().count, assumedBefore + 2)
    XCTAssertEqual(try caller(second), "arn:aws:sts::\(server.accountId):assumed-role/cross/renewed")
    setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1", 1)
    XCTAssertEqual(
      try chain.credentials().accessKeyId, second.accessKeyId, "a failed renewal dropped credentials that still work")
    unsetenv("AWS_ENDPOINT_URL_STS")

    try writeRoleProfiles(server, cross: "role_session_name = lasting\nduration_seconds = 3600")
    let lasting = AWSCredentialChain.standard(profile: "cross")
    let before = try server.assumedRoles().count
    let kept = try lasting.credentials()
    XCTAssertEqual(try lasting.credentials().accessKeyId, kept.accessKeyId)
    XCTAssertEqual(try server.assumedRoles().count, before + 1, "an hour's credentials were assumed twice")
  }

  func testRolesChainAndAProfileMaySourceItsOwnKeys() throws {
    try writeRoleProfiles(server)
    let chained = try AWSCredentialChain.standard(profile: "second").credentials()
    XCTAssertEqual(try caller(chained), "arn:aws:sts::\(server.accountId):assumed-role/second/chained")
    try writeConfig(
      "[profile self]\nrole_arn = \(server.roles["cross"]!)\nsource_profile = self\nrole_session_name = own-keys\n",
      credentials: """
        [self]
        aws_access_key_id = \(server.source.accessKeyId)
        aws_secret_access_key = \(server.source.secretAccessKey)
        """)
    let own = try AWSCredentialChain.standard(profile: "self").credentials()
    XCTAssertEqual(try caller(own), "arn:aws:sts::\(server.accountId):assumed-role/cross/own-keys")
  }

  func testCredentialSourceEnvironment() throws {
    try writeConfig("[profile env-role]\nrole_arn = \(server.roles["cross"]!)\ncredential_source = Environment\n")
    setenv("AWS_ACCESS_KEY_ID", server.source.accessKeyId, 1)
    setenv("AWS_SECRET_ACCESS_KEY", server.source.secretAccessKey, 1)
    let credentials = try AWSCredentialChain.standard(profile: "env-role").credentials()
    XCTAssertTrue(try caller(credentials).contains(":assumed-role/cross/"))
  }

  func testAWrongSourceSecretIsRefusedBySTS() throws {
    try writeRoleProfiles(server, sourceSecret: "not-the-secret")
    XCTAssertThrowsError(try AWSCredentialChain.standard(profile: "cross").credentials()) { error in
      XCTAssertEqual(ExitStatus.of(error), .permissionDenied)
      XCTAssertTrue(describe(error).contains("SignatureDoesNotMatch"), describe(error))
      XCTAssertTrue(describe(error).contains(self.server.roles["cross"]!), describe(error))
      XCTAssertFalse(describe(error).contains("not-the-secret"), describe(error))
    }
  }

  func testBrokenRoleProfilesSayWhatIsWrong() throws {
    try writeConfig(
      """
      [profile orphan]
      role_arn = arn:aws:iam::123456789012:role/cross
      source_profile = gone
      [profile a]
      role_arn = arn:aws:iam::123456789012:role/cross
      source_profile = b
      [profile b]
      role_arn = arn:aws:iam::123456789012:role/cross
      source_profile = a
      [profile both]
      role_arn = arn:aws:iam::123456789012:role/cross
      source_profile = a
      credential_source = Environment
      [profile neither]
      role_arn = arn:aws:iam::123456789012:role/cross
      [profile odd]
      role_arn = arn:aws:iam::123456789012:role/cross
      credential_source = Laptop
      """)
    let expected = [
      "orphan": "\"gone\" of profile \"orphan\" does not exist", "a": "loop: a -> b -> a",
      "both": "both source_profile and credential_source", "neither": "neither source_profile nor credential_source",
      "odd": "\"Laptop\"",
    ]
    for (profile, sentence) in expected {
      XCTAssertThrowsError(try AWSCredentialChain.standard(profile: profile).credentials(), profile) { error in
        XCTAssertEqual(ExitStatus.of(error), .configuration, profile)
        XCTAssertTrue(describe(error).contains(sentence), describe(error))
      }
    }
  }
}
