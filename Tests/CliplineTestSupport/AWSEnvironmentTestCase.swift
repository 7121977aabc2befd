import Foundation
import XCTest

/// A test of AWS settings in an environment of its own: every variable the chain, the endpoints and the caches read
/// is cleared (and restored afterwards), the shared files point into a scratch directory, HOME too (the aws CLI's
/// caches live under it), and instance metadata is off so nothing on this machine answers by accident.
open class AWSEnvironmentTestCase: XCTestCase {
  public static let variables = [
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
    "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_EC2_METADATA_DISABLED",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL", "AWS_REGION",
    "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_KINESIS_VIDEO", "AWS_ENDPOINT_URL_S3", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CA_BUNDLE", "AWS_ENDPOINT_URL_SSO", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_ROLE_SESSION_NAME", "HOME",
  ]
  private var saved: [String: String] = [:]
  public var scratch: ScratchDirectory!

  override open func setUpWithError() throws {
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

  override open func tearDown() {
    for name in Self.variables { unsetenv(name) }
    for (name, value) in saved { setenv(name, value, 1) }
  }

  /// The identity testbed, with every AWS endpoint and the region (both variables: the aws CLI v1 reads only
  /// AWS_DEFAULT_REGION) pointing at it.
  public func useIdentityServer(tls: Bool = false) throws -> AWSIdentityServer {
    let server = try AWSIdentityServer.shared(tls: tls)
    setenv("AWS_ENDPOINT_URL", server.endpoint, 1)
    setenv("AWS_REGION", "us-east-1", 1)
    setenv("AWS_DEFAULT_REGION", "us-east-1", 1)
    return server
  }

  /// The identity testbed as above, with its "reader" user's keys in the environment.
  public func useIdentityServerAsReader(tls: Bool = false) throws -> AWSIdentityServer {
    let server = try useIdentityServer(tls: tls)
    setenv("AWS_ACCESS_KEY_ID", server.reader.accessKeyId, 1)
    setenv("AWS_SECRET_ACCESS_KEY", server.reader.secretAccessKey, 1)
    return server
  }

  /// `[profile sso]` in the aws CLI's sso-session form: session "corp", the testbed portal's role "Viewer".
  public func ssoSessionProfile(_ server: AWSIdentityServer) -> String {
    """
    [profile sso]
    sso_session = corp
    sso_account_id = \(server.accountId)
    sso_role_name = Viewer

    [sso-session corp]
    sso_start_url = https://corp.awsapps.com/start
    sso_region = eu-west-1

    """
  }

  /// Writes the shared config file (and the credentials file, when given).
  public func writeConfig(_ config: String, credentials: String? = nil) throws {
    try config.write(toFile: scratch.file("config"), atomically: true, encoding: .utf8)
    if let credentials {
      try credentials.write(toFile: scratch.file("credentials"), atomically: true, encoding: .utf8)
    }
  }

  /// `[base]` (credentials file) holds the identity testbed's source user's keys; `[profile cross]` assumes "cross"
  /// with them (plus `extra` lines), `[profile second]` assumes "second" with cross's credentials.
  public func writeRoleProfiles(
    _ server: AWSIdentityServer, cross extra: String = "", sourceSecret: String? = nil
  ) throws {
    try writeConfig(
      """
      [profile cross]
      role_arn = \(server.roles["cross"]!)
      source_profile = base
      \(extra)
      [profile second]
      role_arn = \(server.roles["second"]!)
      source_profile = cross
      role_session_name = chained
      """,
      credentials: """
        [base]
        aws_access_key_id = \(server.source.accessKeyId)
        aws_secret_access_key = \(sourceSecret ?? server.source.secretAccessKey)
        """)
  }

  /// What `aws sso login` leaves: ~/.aws/sso/cache/<SHA-1 of the session name, or of the start URL>.json (the
  /// SHA-1 taken by sha1sum, not by the code under test).
  public func writeSSOToken(for name: String, token: String, expiresIn: TimeInterval = 3600) throws {
    let hash = try ToolInvocation.runProcess("/bin/sh", ["-c", "printf %s \"$1\" | sha1sum | cut -c1-40", "sh", name])
      .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let directory = scratch.file(".aws/sso/cache")
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let expiresAt = ISO8601DateFormatter().string(from: Date().addingTimeInterval(expiresIn))
    try """
    {"startUrl": "https://corp.awsapps.com/start", "region": "eu-west-1", "accessToken": "\(token)", \
    "expiresAt": "\(expiresAt)"}
    """.write(toFile: directory + "/\(hash).json", atomically: true, encoding: .utf8)
  }
}
