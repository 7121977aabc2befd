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

/// Keys in the shared files, or a `credential_process` the profile names.
struct ProfileCredentialSource: AWSCredentialSource {
  let profile: String
  var name: String { "profile \(profile)" }

  func resolve() throws -> AWSCredentials? {
    let files = AWSConfigFiles.load()
    if let id = files.value("aws_access_key_id", profile: profile) {
      guard let secret = files.value("aws_secret_access_key", profile: profile) else {
        throw AWSCredentialsError(
          .malformed, "profile \"\(profile)\" has aws_access_key_id but no aws_secret_access_key")
      }
      return AWSCredentials(
        accessKeyId: id, secretAccessKey: secret, sessionToken: files.value("aws_session_token", profile: profile))
    }
    if let command = files.value("credential_process", profile: profile) {
      return try CredentialProcess(command: command).run()
    }
    if let roleArn = files.value("role_arn", profile: profile),
      let tokenFile = files.value("web_identity_token_file", profile: profile)
    {
      return try WebIdentityCredentialSource.assume(
        roleArn: roleArn, tokenFile: tokenFile,
        sessionName: files.value("role_session_name", profile: profile) ?? "clipline",
        region: AWSRegion.resolve(flag: nil, profile: profile))
    }
    return nil
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
  var name: String { "web identity" }

  func resolve() throws -> AWSCredentials? {
    guard let tokenFile = Settings.environment("AWS_WEB_IDENTITY_TOKEN_FILE"),
      let roleArn = Settings.environment("AWS_ROLE_ARN")
    else { return nil }
    return try Self.assume(
      roleArn: roleArn, tokenFile: tokenFile,
      sessionName: Settings.environment("AWS_ROLE_SESSION_NAME") ?? "clipline-\(getpid())",
      region: AWSRegion.resolve(flag: nil))
  }

  static func assume(roleArn: String, tokenFile: String, sessionName: String, region: String) throws -> AWSCredentials {
    let token: String
    do {
      token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    } catch {
      throw AWSCredentialsError(.malformed, "cannot read the web identity token file \(tokenFile)")
    }
    let endpoint = AWSEndpoint.resolve(service: "sts", envSuffix: "STS", region: region, flag: nil)
    let form = [
      ("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", roleArn),
      ("RoleSessionName", sessionName), ("WebIdentityToken", token),
    ].map { "\($0.0)=\(HTTPClient.percentEncode($0.1))" }.joined(separator: "&")
    let request = HTTPRequest(
      method: "POST", url: endpoint.hasSuffix("/") ? endpoint : endpoint + "/",
      headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], body: .bytes(Array(form.utf8)),
      timeout: 30)
    let response: HTTPResponse
    do {
      response = try RetryPolicy(attempts: 3).run(isRetryable: isRetryableHTTPFailure) { _ in
        try HTTPClient().send(request)
      }
    } catch {
      throw AWSCredentialsError(.unreachable, "STS AssumeRoleWithWebIdentity failed: \(describe(error))")
    }
    guard response.isSuccess else {
      let error = AWSServiceError(response: response)
      throw AWSCredentialsError(.refused, "STS refused AssumeRoleWithWebIdentity for \(roleArn): \(error.code)")
    }
    let xml = XMLScanner(response.body)
    guard let id = xml.text("AccessKeyId"), let secret = xml.text("SecretAccessKey") else {
      throw AWSCredentialsError(.malformed, "STS answered without credentials")
    }
    return AWSCredentials(
      accessKeyId: id, secretAccessKey: secret, sessionToken: xml.text("SessionToken"),
      expiration: xml.text("Expiration").flatMap(RFC3339.parse))
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
