import CliplineHTTP
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

@testable import CliplineAWS

/// The standard chain, each source proven: flags, environment, profile files, credential_process, and — against a
/// real moto_server this test starts — STS web identity, IMDSv2 and the container endpoint.
final class CredentialChainTests: AWSEnvironmentTestCase {
  func testFlagsWinOverEnvironment() throws {
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1)
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1)
    let chain = AWSCredentialChain.standard(accessKeyId: "FLAGKEY", secretAccessKey: "flagsecret")
    XCTAssertEqual(try chain.credentials().accessKeyId, "FLAGKEY")
    XCTAssertEqual(try AWSCredentialChain.standard().credentials().accessKeyId, "ENVKEY")
  }

  func testEnvironmentWithSessionToken() throws {
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1)
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1)
    setenv("AWS_SESSION_TOKEN", "envtoken", 1)
    let credentials = try AWSCredentialChain.standard().credentials()
    XCTAssertEqual(credentials.secretAccessKey, "envsecret")
    XCTAssertEqual(credentials.sessionToken, "envtoken")
    XCTAssertEqual(try AWSCredentialChain.standard().sourceName(), "environment")
  }

  func testHalfSetEnvironmentIsAConfigurationError() {
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1)
    XCTAssertThrowsError(try AWSCredentialChain.standard().credentials()) { error in
      XCTAssertEqual(ExitStatus.of(error), .configuration)
      XCTAssertTrue(describe(error).contains("AWS_SECRET_ACCESS_KEY"))
    }
  }

  func testProfilesFromTheSharedFilesAndRegionFromConfig() throws {
    try """
    [default]
    aws_access_key_id = DEFAULTKEY
    aws_secret_access_key = defaultsecret

    # a comment
    [staging]
    aws_access_key_id=STAGINGKEY
    aws_secret_access_key=stagingsecret
    aws_session_token = stagingtoken
    """.write(toFile: scratch.file("credentials"), atomically: true, encoding: .utf8)
    try """
    [profile staging]
    region = eu-central-1
    [profile tool]
    credential_process = printf '{"Version":1,"AccessKeyId":"PROCKEY","SecretAccessKey":"procsecret","SessionToken":"proctoken","Expiration":"2099-01-01T00:00:00Z"}'
    """.write(toFile: scratch.file("config"), atomically: true, encoding: .utf8)
    setenv("AWS_SHARED_CREDENTIALS_FILE", scratch.file("credentials"), 1)
    setenv("AWS_CONFIG_FILE", scratch.file("config"), 1)
    XCTAssertEqual(try AWSCredentialChain.standard().credentials().accessKeyId, "DEFAULTKEY")
    let staging = try AWSCredentialChain.standard(profile: "staging").credentials()
    XCTAssertEqual(staging.accessKeyId, "STAGINGKEY")
    XCTAssertEqual(staging.sessionToken, "stagingtoken")
    setenv("AWS_PROFILE", "staging", 1)
    XCTAssertEqual(try AWSCredentialChain.standard().credentials().accessKeyId, "STAGINGKEY")
    XCTAssertEqual(AWSRegion.resolve(flag: nil), "eu-central-1")
    XCTAssertEqual(AWSRegion.resolve(flag: "ap-south-1"), "ap-south-1")
    setenv("AWS_REGION", "us-west-2", 1)
    XCTAssertEqual(AWSRegion.resolve(flag: nil), "us-west-2")
    let tool = try AWSCredentialChain.standard(profile: "tool").credentials()
    XCTAssertEqual(tool.accessKeyId, "PROCKEY")
    XCTAssertEqual(tool.sessionToken, "proctoken")
    XCTAssertEqual(tool.expiration, RFC3339.parse("2099-01-01T00:00:00Z"))
  }

  func testNothingFoundSaysWhereToPutThem() {
    XCTAssertThrowsError(try AWSCredentialChain.standard().credentials()) { error in
      XCTAssertEqual(ExitStatus.of(error), .configuration)
      XCTAssertTrue(describe(error).contains("AWS_ACCESS_KEY_ID"))
    }
  }

  func testEndpointsAndRegionDefaults() {
    let profile = AWSProfile.select(flag: nil)
    XCTAssertEqual(AWSRegion.resolve(flag: nil), "us-east-1")
    XCTAssertNil(AWSRegion.configured(flag: nil, profile: profile))
    XCTAssertEqual(
      AWSEndpoint.resolve(.kinesisVideo, region: "eu-west-1", flag: nil, profile: profile),
      "https://kinesisvideo.eu-west-1.amazonaws.com")
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/", 1)
    XCTAssertEqual(
      AWSEndpoint.resolve(.kinesisVideo, region: "eu-west-1", flag: nil, profile: profile), "http://127.0.0.1:5000")
    setenv("AWS_ENDPOINT_URL_KINESIS_VIDEO", "http://127.0.0.1:5001", 1)
    XCTAssertEqual(
      AWSEndpoint.resolve(.kinesisVideo, region: "eu-west-1", flag: nil, profile: profile), "http://127.0.0.1:5001")
    XCTAssertEqual(
      AWSEndpoint.resolve(.kinesisVideo, region: "eu-west-1", flag: "http://x:1", profile: profile), "http://x:1")
    XCTAssertEqual(AWSEndpoint.resolve(.s3, region: "cn-north-1", flag: nil, profile: profile), "http://127.0.0.1:5000")
    unsetenv("AWS_ENDPOINT_URL")
    XCTAssertEqual(
      AWSEndpoint.resolve(.s3, region: "cn-north-1", flag: nil, profile: profile),
      "https://s3.cn-north-1.amazonaws.com.cn")
  }

  func testCacheRefreshesBeforeExpiry() throws {
    let counter = CountingSource(lifetime: 60)  // expires inside the refresh margin: fetched every time
    let chain = AWSCredentialChain(sources: [counter])
    _ = try chain.credentials()
    _ = try chain.credentials()
    XCTAssertEqual(counter.calls, 2)
    let longLived = CountingSource(lifetime: 3600)
    let cached = AWSCredentialChain(sources: [longLived])
    _ = try cached.credentials()
    _ = try cached.credentials()
    XCTAssertEqual(longLived.calls, 1)
  }

  func testSourceNameWhileOtherThreadsRefresh() throws {
    // Every `credentials()` refreshes (the lifetime is inside the refresh margin) and so rewrites the cached source
    // name; `sourceName()` read it without the cache's lock (a data race, shown by scripts/sanitize thread).
    let chain = AWSCredentialChain(sources: [CountingSource(lifetime: 60)])
    let names = CapturedLines()
    let errors = ParallelWork.run(count: 4, width: 4) { _ in
      for _ in 0..<500 {
        _ = try chain.credentials()
        names.append(try chain.sourceName() + "\n")
      }
    }
    XCTAssertEqual(errors.compactMap { $0 }.count, 0)
    let all = names.text.split(separator: "\n")
    XCTAssertEqual(all.count, 2000)
    XCTAssertTrue(all.allSatisfy { $0.hasPrefix("counting source, after ") }, "\(all.prefix(3))")
  }

  // MARK: - Against a real moto_server

  func testWebIdentityTradesTheTokenAtSTS() throws {
    let moto = try MotoServer.shared()
    try "eyJhbGciOiJSUzI1NiJ9.test.token".write(toFile: scratch.file("token"), atomically: true, encoding: .utf8)
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", scratch.file("token"), 1)
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/clipline-worker", 1)
    setenv("AWS_ENDPOINT_URL_STS", moto.endpoint, 1)
    let chain = AWSCredentialChain.standard()
    let credentials = try chain.credentials()
    XCTAssertTrue(credentials.accessKeyId.hasPrefix("ASIA"), credentials.accessKeyId)
    XCTAssertNotNil(credentials.sessionToken)
    XCTAssertNotNil(credentials.expiration)
    XCTAssertEqual(try chain.sourceName(), "web identity")
  }

  func testInstanceMetadataV2() throws {
    let moto = try MotoServer.shared()
    unsetenv("AWS_EC2_METADATA_DISABLED")
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", moto.endpoint, 1)
    let chain = AWSCredentialChain.standard()
    let credentials = try chain.credentials()
    XCTAssertEqual(credentials.accessKeyId, "test-key")
    XCTAssertEqual(credentials.sessionToken, "test-session-token")
    XCTAssertNotNil(credentials.expiration)
    XCTAssertEqual(try chain.sourceName(), "instance metadata")
  }

  /// The container endpoint answers with the same JSON shape as IMDS's role document; moto's serves here.
  func testContainerCredentialsFullURI() throws {
    let moto = try MotoServer.shared()
    setenv(
      "AWS_CONTAINER_CREDENTIALS_FULL_URI", moto.endpoint + "/latest/meta-data/iam/security-credentials/default-role",
      1)
    let chain = AWSCredentialChain.standard()
    XCTAssertEqual(try chain.credentials().secretAccessKey, "test-secret-key")
    XCTAssertEqual(try chain.sourceName(), "container")
  }

  func testUnreachableContainerEndpointIsTemporary() {
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/creds", 1)
    XCTAssertThrowsError(try AWSCredentialChain.standard().credentials()) { error in
      XCTAssertEqual(ExitStatus.of(error), .temporaryFailure)
    }
  }
}

final class CountingSource: AWSCredentialSource, @unchecked Sendable {
  let lifetime: TimeInterval
  private(set) var calls = 0
  init(lifetime: TimeInterval) { self.lifetime = lifetime }
  /// A new string per call (too long to be stored inline), so a read that races a refresh can see a freed one.
  var name: String { "counting source, after \(calls) calls" }
  func resolve() throws -> AWSCredentials? {
    calls += 1
    return AWSCredentials(
      accessKeyId: "K\(calls)", secretAccessKey: "s", sessionToken: "t", expiration: Date().addingTimeInterval(lifetime)
    )
  }
}

/// A moto_server (the Python AWS emulator; STS and instance metadata are real code paths in it), started once per
/// test process on a free port and stopped when the process ends.
final class MotoServer: @unchecked Sendable {
  let endpoint: String
  private let process: Process
  nonisolated(unsafe) private static var running: MotoServer?
  private static let lock = NSLock()

  static func shared() throws -> MotoServer {
    try lock.withLock {
      if let running { return running }
      let started = try MotoServer()
      running = started
      return started
    }
  }

  private init() throws {
    let port = Int.random(in: 30000...44000)
    process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["moto_server", "-H", "127.0.0.1", "-p", String(port)]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    endpoint = "http://127.0.0.1:\(port)"
    let client = HTTPClient()
    for _ in 0..<100 {
      if let answer = try? client.send(HTTPRequest(url: endpoint + "/moto-api/", timeout: 1)), answer.status > 0 {
        atexit { MotoServer.running?.process.terminate() }
        return
      }
      Thread.sleep(forTimeInterval: 0.1)
    }
    process.terminate()
    throw TestFailure("moto_server (PyPI moto[server]) did not start on port \(port); install it with scripts/setup")
  }
}
