import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

@testable import CliplineAWS

/// Endpoints, regions and CA bundles read from the environment and a profile's `endpoint_url`, `services` and
/// `ca_bundle`, compared with what botocore (the aws CLI's library) makes of the same files and variables.
final class EndpointConfigurationTests: AWSEnvironmentTestCase {
  static let config = """
    [profile dev]
    region = eu-west-1
    services = dev-services
    endpoint_url = http://profile-global.test:1
    ca_bundle = /etc/clipline/dev-ca.pem

    [profile quiet]
    region = eu-west-1
    services = dev-services
    endpoint_url = http://profile-global.test:1
    ignore_configured_endpoint_urls = true

    [services dev-services]
    s3 =
      endpoint_url = http://s3-services.test:2
      ; a comment inside the block
    kinesis_video =
    \tendpoint_url = http://kvs-services.test:3

    [profile bare]
    region = ap-south-1
    """

  struct Case {
    let profile: String
    var environment: [String: String] = [:]
  }

  let cases = [
    Case(profile: "dev"),
    Case(profile: "dev", environment: ["AWS_ENDPOINT_URL": "http://env-global.test:4"]),
    Case(
      profile: "dev",
      environment: ["AWS_ENDPOINT_URL": "http://env-global.test:4", "AWS_ENDPOINT_URL_S3": "http://s3-env.test:5"]),
    Case(profile: "dev", environment: ["AWS_ENDPOINT_URL_KINESIS_VIDEO": "http://kvs-env.test:6"]),
    Case(profile: "dev", environment: ["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"]),
    Case(profile: "quiet"),
    Case(profile: "quiet", environment: ["AWS_ENDPOINT_URL_S3": "http://s3-env.test:5"]),
    Case(profile: "bare"),
    // botocore reads AWS_DEFAULT_REGION; AWS_REGION (first, as the aws CLI v2 and the SDKs read it) is ours too.
    Case(
      profile: "bare",
      environment: ["AWS_DEFAULT_REGION": "us-west-2", "AWS_ENDPOINT_URL_STS": "http://sts-env.test:7"]),
  ]

  func testEndpointsAndRegionsAsBotocoreReadsThem() throws {
    try writeConfig(Self.config)
    let expectations = try botocore(cases)
    for (test, expected) in zip(cases, expectations) {
      for (name, value) in test.environment { setenv(name, value, 1) }
      defer { for name in test.environment.keys { unsetenv(name) } }
      let settings = AWSSettings.resolve(profile: test.profile)
      let region = try XCTUnwrap(settings.region, "\(test)")
      XCTAssertEqual(region, expected["region"], "\(test)")
      for (key, service) in [("s3", AWSService.s3), ("kinesisvideo", .kinesisVideo), ("sts", .sts)] {
        XCTAssertEqual(
          AWSEndpoint.resolve(service, region: region, flag: nil, profile: settings.profile), expected[key],
          "\(key) in \(test)")
      }
    }
  }

  func testTheFlagBeatsEveryConfiguredEndpoint() throws {
    try writeConfig(Self.config)
    setenv("AWS_ENDPOINT_URL_S3", "http://s3-env.test:5", 1)
    let settings = AWSSettings.resolve(profile: "dev")
    XCTAssertEqual(settings.endpoint(.s3, flag: "http://flag.test:9/"), "http://flag.test:9")
    XCTAssertEqual(settings.endpoint(.s3), "http://s3-env.test:5")
  }

  /// `--ca-bundle`, then `AWS_CA_BUNDLE`, then the profile's `ca_bundle`, as the aws CLI orders them.
  func testCABundleOrder() throws {
    try writeConfig(Self.config)
    XCTAssertEqual(AWSSettings.resolve(profile: "dev").caBundle, "/etc/clipline/dev-ca.pem")
    XCTAssertNil(AWSSettings.resolve(profile: "bare").caBundle)
    setenv("AWS_CA_BUNDLE", "/env/ca.pem", 1)
    XCTAssertEqual(AWSSettings.resolve(profile: "dev").caBundle, "/env/ca.pem")
    XCTAssertEqual(AWSSettings.resolve(profile: "dev", caBundle: "/flag/ca.pem").caBundle, "/flag/ca.pem")
    XCTAssertEqual(AWSSettings.resolve(profile: "dev").httpOptions.caFile, "/env/ca.pem")
  }

  /// The config file's sections as botocore sorts them: profiles, sso-sessions, services; nothing else is a profile.
  func testConfigFileSections() throws {
    try writeConfig(
      Self.config + "\n[sso-session corp]\nsso_region = eu-west-1\n[stray]\nregion = x\n[default]\nregion = y\n")
    let files = AWSConfigFiles.load()
    XCTAssertEqual(files.services["dev-services"]?["s3.endpoint_url"], "http://s3-services.test:2")
    XCTAssertEqual(files.services["dev-services"]?["kinesis_video.endpoint_url"], "http://kvs-services.test:3")
    XCTAssertEqual(files.ssoSessions["corp"]?["sso_region"], "eu-west-1")
    XCTAssertNil(files.config["stray"])
    XCTAssertNil(files.config["sso-session corp"])
    XCTAssertEqual(files.value("region", profile: "default"), "y")
    XCTAssertEqual(files.value("region", profile: "dev"), "eu-west-1")
  }

  /// botocore's answers for each case (its profile, its variables on top of this environment): the region and the
  /// endpoint of each client. One Python process for all of them.
  func botocore(_ cases: [Case]) throws -> [[String: String]] {
    let script = """
      import json, os, sys, botocore.session
      answers = []
      for case in json.loads(sys.argv[1]):
          saved = dict(os.environ)
          os.environ.update(case["environment"])
          session = botocore.session.Session(profile=case["profile"])
          region = session.get_config_variable("region")
          answer = {"region": region}
          for service in ("s3", "kinesisvideo", "sts"):
              client = session.create_client(service, region_name=region, aws_access_key_id="k",
                                             aws_secret_access_key="s")
              answer[service] = client.meta.endpoint_url
          answers.append(answer)
          os.environ.clear()
          os.environ.update(saved)
      print(json.dumps(answers))
      """
    let input = JSONValue.array(
      cases.map {
        .object(["profile": .string($0.profile), "environment": .object($0.environment.mapValues { .string($0) })])
      })
    let result = try ToolInvocation.runProcess(
      "/usr/bin/env", ["python3", "-c", script, JSONSerializer.string(input)])
    guard result.status == 0, case .array(let answers)? = try? JSONParser.parse(Array(result.stdout.utf8)) else {
      throw TestFailure("botocore (PyPI botocore, with awscli) failed: \(result.stderr)")
    }
    return answers.map { ($0.objectValue ?? [:]).compactMapValues { $0.stringValue } }
  }
}
