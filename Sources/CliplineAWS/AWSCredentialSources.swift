import CliplineHTTP
import CliplineRecords
import CliplineSystem
import Foundation

/// One place the standard chain looks. `nil` means "not configured here, try the next"; a throw means it was
/// configured and failed (the chain stops there, as botocore does, so a broken role is not silently skipped).
protocol AWSCredentialSource: Sendable {
  var name: String { get }
  func resolve() throws -> AWSCredentials?
}

struct ExplicitCredentialSource: AWSCredentialSource {
  let accessKeyId: String?
  let secretAccessKey: String?
  var name: String { "flags" }

  func resolve() throws -> AWSCredentials? {
    switch (accessKeyId, secretAccessKey) {
    case (nil, nil): return nil
    case (let id?, let secret?): return AWSCredentials(accessKeyId: id, secretAccessKey: secret)
    default: throw AWSCredentialsError(.malformed, "an access key id and a secret access key go together")
    }
  }
}

/// A profile that was named and does not exist: the chain's only answer after the flags, so a typo in a profile
/// name is said as such instead of ending in other credentials, or in "none found".
struct MissingProfileSource: AWSCredentialSource {
  let profile: AWSProfile
  var name: String { "profile \(profile.name)" }

  func resolve() throws -> AWSCredentials? {
    try profile.checkExists()
    return nil
  }
}

struct EnvironmentCredentialSource: AWSCredentialSource {
  var name: String { "environment" }

  func resolve() throws -> AWSCredentials? {
    guard let id = Settings.environment("AWS_ACCESS_KEY_ID") else { return nil }
    guard let secret = Settings.environment("AWS_SECRET_ACCESS_KEY") else {
      throw AWSCredentialsError(.malformed, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
    }
    let token = Settings.environment("AWS_SESSION_TOKEN") ?? Settings.environment("AWS_SECURITY_TOKEN")
    return AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token)
  }
}

/// `credential_process`: a program that prints `{"Version":1,"AccessKeyId":…}` (the AWS CLI's contract).
struct CredentialProcess {
  let command: String

  func run() throws -> AWSCredentials {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw AWSCredentialsError(.refused, "credential_process exited with status \(process.terminationStatus)")
    }
    return try CredentialsJSON.parse(Array(data), source: "credential_process")
  }
}

/// The JSON shapes the container endpoint, IMDS and credential_process answer with.
enum CredentialsJSON {
  static func parse(_ bytes: [UInt8], source: String) throws -> AWSCredentials {
    guard case .object(let object)? = try? JSONParser.parse(bytes),
      case .string(let id)? = object["AccessKeyId"], case .string(let secret)? = object["SecretAccessKey"]
    else { throw AWSCredentialsError(.malformed, "\(source) did not answer with AccessKeyId and SecretAccessKey") }
    var token: String?
    if case .string(let value)? = object["Token"] { token = value }
    if case .string(let value)? = object["SessionToken"] { token = value }
    var expiration: Date?
    if case .string(let text)? = object["Expiration"] { expiration = RFC3339.parse(text) }
    return AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token, expiration: expiration)
  }
}

/// EKS's IAM roles for service accounts: a projected token file traded at STS for temporary credentials.
struct WebIdentityCredentialSource: AWSCredentialSource {
  let settings: AWSSettings
  var name: String { "web identity" }

  func resolve() throws -> AWSCredentials? {
    guard let tokenFile = Settings.environment("AWS_WEB_IDENTITY_TOKEN_FILE"),
      let roleArn = Settings.environment("AWS_ROLE_ARN")
    else { return nil }
    return try Self.assume(
      roleArn: roleArn, tokenFile: tokenFile,
      sessionName: Settings.environment("AWS_ROLE_SESSION_NAME") ?? "clipline-\(getpid())", settings: settings)
  }

  static func assume(
    roleArn: String, tokenFile: String, sessionName: String, settings: AWSSettings
  ) throws -> AWSCredentials {
    let token: String
    do {
      token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    } catch {
      throw AWSCredentialsError(.malformed, "cannot read the web identity token file \(tokenFile)")
    }
    return try STSClient(settings: settings).assumeRoleWithWebIdentity(
      roleArn: roleArn, sessionName: sessionName, token: token)
  }
}

/// ECS and EKS Pod Identity: an HTTP endpoint named by the environment, with an optional authorization token.
struct ContainerCredentialSource: AWSCredentialSource {
  var name: String { "container" }

  func resolve() throws -> AWSCredentials? {
    let url: String
    if let relative = Settings.environment("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
      url = "http://169.254.170.2" + relative
    } else if let full = Settings.environment("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
      url = full
    } else {
      return nil
    }
    var request = HTTPRequest(url: url, timeout: 5)
    if let tokenFile = Settings.environment("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
      let token = (try? String(contentsOfFile: tokenFile, encoding: .utf8))?
        .trimmingCharacters(in: .whitespacesAndNewlines)
      if let token { request.setHeader("Authorization", token) }
    } else if let token = Settings.environment("AWS_CONTAINER_AUTHORIZATION_TOKEN") {
      request.setHeader("Authorization", token)
    }
    let response: HTTPResponse
    do {
      response = try RetryPolicy(attempts: 3).run(isRetryable: isRetryableHTTPFailure) { _ in
        try HTTPClient().send(request).checked()
      }
    } catch let error as HTTPStatusError where error.exitStatus == .permissionDenied {
      throw AWSCredentialsError(.refused, "the container credentials endpoint refused us (HTTP \(error.status))")
    } catch {
      throw AWSCredentialsError(.unreachable, "the container credentials endpoint failed: \(describe(error))")
    }
    return try CredentialsJSON.parse(response.body, source: "the container credentials endpoint")
  }
}

/// EC2 instance metadata, IMDSv2 only (a session token first). `AWS_EC2_METADATA_DISABLED=true` turns it off;
/// `AWS_EC2_METADATA_SERVICE_ENDPOINT` moves it. Short timeouts: off EC2 nothing answers, and we must not hang.
struct InstanceMetadataCredentialSource: AWSCredentialSource {
  var name: String { "instance metadata" }

  func resolve() throws -> AWSCredentials? {
    if Settings.environment("AWS_EC2_METADATA_DISABLED")?.lowercased() == "true" { return nil }
    var endpoint = Settings.environment("AWS_EC2_METADATA_SERVICE_ENDPOINT") ?? "http://169.254.169.254"
    while endpoint.hasSuffix("/") { endpoint.removeLast() }
    var options = HTTPClient.Options()
    options.connectTimeout = 1
    options.stallTimeout = 2
    let client = HTTPClient(options: options)
    let tokenResponse: HTTPResponse
    do {
      tokenResponse = try client.send(
        HTTPRequest(
          method: "PUT", url: endpoint + "/latest/api/token",
          headers: [("x-aws-ec2-metadata-token-ttl-seconds", "21600")], timeout: 2))
    } catch {
      return nil  // no metadata service here: not an EC2 instance
    }
    guard tokenResponse.isSuccess else { return nil }
    let token = tokenResponse.bodyText.trimmingCharacters(in: .whitespacesAndNewlines)
    func get(_ path: String) throws -> HTTPResponse {
      try client.send(
        HTTPRequest(url: endpoint + path, headers: [("x-aws-ec2-metadata-token", token)], timeout: 2)
      ).checked()
    }
    do {
      let roles = try get("/latest/meta-data/iam/security-credentials/").bodyText
      guard let role = roles.split(whereSeparator: \.isNewline).first.map(String.init), !role.isEmpty else {
        return nil  // an instance without a role
      }
      let answer = try get("/latest/meta-data/iam/security-credentials/" + HTTPClient.percentEncode(role))
      return try CredentialsJSON.parse(answer.body, source: "instance metadata")
    } catch let error as AWSCredentialsError {
      throw error
    } catch {
      throw AWSCredentialsError(.unreachable, "instance metadata failed: \(describe(error))")
    }
  }
}
