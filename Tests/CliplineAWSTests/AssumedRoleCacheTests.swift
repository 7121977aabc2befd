import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

@testable import CliplineAWS

/// The aws CLI's cache of assumed roles (~/.aws/cli/cache), shared both ways with the aws CLI itself, against moto's
/// STS with its authorization on.
final class AssumedRoleCacheTests: AWSEnvironmentTestCase {
  var server: AWSIdentityServer!

  override func setUpWithError() throws {
    try super.setUpWithError()
    server = try useIdentityServer()
    try writeConfig(
      """
      [profile cross]
      role_arn = \(server.roles["cross"]!)
      source_profile = base
      role_session_name = cached
      [profile mfa]
      role_arn = \(server.roles["cross"]!)
      source_profile = base
      mfa_serial = arn:aws:iam::123456789012:mfa/someone
      """,
      credentials: """
        [base]
        aws_access_key_id = \(server.source.accessKeyId)
        aws_secret_access_key = \(server.source.secretAccessKey)
        """)
  }

  var cacheDirectory: String { scratch.file(".aws/cli/cache") }

  func cachedFiles() throws -> [String] {
    (try? FileManager.default.contentsOfDirectory(atPath: cacheDirectory))?.filter { $0.hasSuffix(".json") } ?? []
  }

  func aws(_ arguments: [String]) throws -> ToolResult {
    let result = try ToolInvocation.runProcess("/usr/bin/env", ["aws"] + arguments)
    guard result.status == 0 else { throw TestFailure("aws \(arguments): \(result.stderr)") }
    return result
  }

  func testTheKeyIsBotocores() throws {
    let roles = [
      STSClient.AssumeRole(roleArn: "arn:aws:iam::1:role/a"),
      STSClient.AssumeRole(
        roleArn: "arn:aws:iam::1:role/a", sessionName: "s", externalId: "ext-ü/\"q\\", durationSeconds: 900,
        mfaSerial: "arn:aws:iam::1:mfa/m"),
    ]
    let script = """
      import json, sys
      from botocore.credentials import AssumeRoleCredentialFetcher
      for case in json.loads(sys.argv[1]):
          arn = case.pop("RoleArn")
          print(AssumeRoleCredentialFetcher(None, None, arn, extra_args=case)._cache_key)
      """
    let cases = JSONValue.array(
      roles.map { role in
        var object: [String: JSONValue] = ["RoleArn": .string(role.roleArn)]
        if let name = role.sessionName { object["RoleSessionName"] = .string(name) }
        if let id = role.externalId { object["ExternalId"] = .string(id) }
        if let serial = role.mfaSerial { object["SerialNumber"] = .string(serial) }
        if let seconds = role.durationSeconds { object["DurationSeconds"] = .integer(Int64(seconds)) }
        return .object(object)
      })
    let result = try ToolInvocation.runProcess(
      "/usr/bin/env", ["python3", "-c", script, JSONSerializer.string(cases)])
    XCTAssertEqual(result.stdoutLines, roles.map(AssumedRoleCache.key), result.stderr)
  }

  func testARoleTheAWSCLIAssumedServesClipline() throws {
    let arn = try aws(["sts", "get-caller-identity", "--profile", "cross", "--query", "Arn", "--output", "text"])
    XCTAssertTrue(arn.stdout.contains(":assumed-role/cross/cached"), arn.stdout)
    let files = try cachedFiles()
    XCTAssertEqual(files.count, 1)
    let assumedBefore = try server.assumedRoles().count
    let credentials = try AWSCredentialChain.standard(profile: "cross").credentials()
    XCTAssertEqual(try server.assumedRoles().count, assumedBefore, "clipline called STS despite the cache")
    let file = try String(contentsOfFile: cacheDirectory + "/" + files[0], encoding: .utf8)
    XCTAssertTrue(file.contains(credentials.accessKeyId), file)
  }

  func testARoleCliplineAssumedServesTheAWSCLI() throws {
    let credentials = try AWSCredentialChain.standard(profile: "cross").credentials()
    let files = try cachedFiles()
    XCTAssertEqual(files.count, 1)
    let attributes = try FileManager.default.attributesOfItem(atPath: cacheDirectory + "/" + files[0])
    XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
    let assumedBefore = try server.assumedRoles().count
    let identity = try aws([
      "sts", "get-caller-identity", "--profile", "cross", "--query", "UserId", "--output", "text",
    ])
    XCTAssertEqual(try server.assumedRoles().count, assumedBefore, "the aws CLI called STS despite the cache")
    let assumed = try server.assumedRoles().first { $0["access_key_id"]?.stringValue == credentials.accessKeyId }
    XCTAssertEqual(assumed?["user_id"]?.stringValue, identity.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
  }

  /// An MFA role cannot be assumed without a code clipline cannot ask for; one the aws CLI assumed (with the
  /// code) is in the cache, and serves.
  func testAnMFARoleComesFromTheCacheOrSaysWhatToDo() throws {
    XCTAssertThrowsError(try AWSCredentialChain.standard(profile: "mfa").credentials()) { error in
      XCTAssertEqual(ExitStatus.of(error), .configuration)
      XCTAssertTrue(describe(error).contains("MFA"), describe(error))
      XCTAssertTrue(describe(error).contains("--profile mfa"), describe(error))
    }
    let assumed = try AWSCredentialChain.standard(profile: "cross").credentials()
    let role = STSClient.AssumeRole(
      roleArn: server.roles["cross"]!, mfaSerial: "arn:aws:iam::123456789012:mfa/someone")
    // What the aws CLI leaves after asking for the code: its own format, expiry written by strftime's %Z.
    let expiration = RFC3339.format(Date().addingTimeInterval(3600), fractionalDigits: 0).dropLast() + "UTC"
    let entry = """
      {"Credentials": {"AccessKeyId": "\(assumed.accessKeyId)", "SecretAccessKey": "\(assumed.secretAccessKey)", \
      "SessionToken": "\(assumed.sessionToken ?? "")", "Expiration": "\(expiration)"}}
      """
    try entry.write(toFile: AssumedRoleCache.standard()!.path(for: role), atomically: true, encoding: .utf8)
    XCTAssertEqual(try AWSCredentialChain.standard(profile: "mfa").credentials().accessKeyId, assumed.accessKeyId)
  }

  func testAnEntryAboutToExpireIsReplaced() throws {
    let first = try AWSCredentialChain.standard(profile: "cross").credentials()
    let role = STSClient.AssumeRole(roleArn: server.roles["cross"]!, sessionName: "cached")
    let cache = try XCTUnwrap(AssumedRoleCache.standard())
    let soon = AWSCredentials(
      accessKeyId: first.accessKeyId, secretAccessKey: first.secretAccessKey, sessionToken: first.sessionToken,
      expiration: Date().addingTimeInterval(600))
    cache.store(soon, for: role)
    XCTAssertNil(cache.load(role), "an entry 10 minutes from its expiry is inside the aws CLI's 15-minute window")
    let second = try AWSCredentialChain.standard(profile: "cross").credentials()
    XCTAssertNotEqual(second.accessKeyId, first.accessKeyId)
    XCTAssertEqual(cache.load(role)?.accessKeyId, second.accessKeyId)
  }
}
