import CliplineTestSupport
import Foundation
import XCTest

/// A test of AWS settings in an environment of its own: every variable the chain, the endpoints and the caches read
/// is cleared (and restored afterwards), the shared files point into a scratch directory, HOME too (the aws CLI's
/// caches live under it), and instance metadata is off so nothing on this machine answers by accident.
class AWSEnvironmentTestCase: XCTestCase {
  static let variables = [
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
    "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_EC2_METADATA_DISABLED",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL", "AWS_REGION",
    "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_KINESIS_VIDEO", "AWS_ENDPOINT_URL_S3", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CA_BUNDLE", "AWS_ENDPOINT_URL_SSO", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_ROLE_SESSION_NAME", "HOME",
  ]
  var saved: [String: String] = [:]
  var scratch: ScratchDirectory!

  override func setUpWithError() throws {
    scratch = try ScratchDirectory("aws-settings")
    for name in Self.variables {
      if let value = ProcessInfo.processInfo.environment[name] { saved[name] = value }
      unsetenv(name)
    }
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1)
    setenv("AWS_SHARED_CREDENTIALS_FILE", scratch.file("credentials"), 1)
    setenv("AWS_CONFIG_FILE", scratch.file("config"), 1)
    setenv("HOME", scratch.path, 1)
  }

  override func tearDown() {
    for name in Self.variables { unsetenv(name) }
    for (name, value) in saved { setenv(name, value, 1) }
  }

  /// The identity testbed, with every AWS endpoint and the region (both variables: the aws CLI v1 reads only
  /// AWS_DEFAULT_REGION) pointing at it.
  func useIdentityServer(tls: Bool = false) throws -> AWSIdentityServer {
    let server = try AWSIdentityServer.shared(tls: tls)
    setenv("AWS_ENDPOINT_URL", server.endpoint, 1)
    setenv("AWS_REGION", "us-east-1", 1)
    setenv("AWS_DEFAULT_REGION", "us-east-1", 1)
    return server
  }

  /// Writes the shared config file (and the credentials file, when given).
  func writeConfig(_ config: String, credentials: String? = nil) throws {
    try config.write(toFile: scratch.file("config"), atomically: true, encoding: .utf8)
    if let credentials {
      try credentials.write(toFile: scratch.file("credentials"), atomically: true, encoding: .utf8)
    }
  }
}
