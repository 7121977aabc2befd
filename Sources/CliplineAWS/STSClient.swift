import CliplineHTTP
import CliplineRecords
import CliplineSystem
import Foundation

/// The two STS calls the credential chain makes: AssumeRoleWithWebIdentity (EKS service accounts, unsigned) and
/// AssumeRole (a role profile, signed with its source's credentials). STS is reached where `settings` say
/// (`AWS_ENDPOINT_URL_STS`, the profile's `services`…), in their region or, with none, us-east-1's.
struct STSClient {
  let settings: AWSSettings

  /// What a role profile asks AssumeRole for, named as botocore names AssumeRole's parameters.
  struct AssumeRole: Sendable {
    var roleArn: String
    /// Nil when the profile names none: then a fresh `clipline-<time>` (botocore's is `botocore-session-<time>`).
    var sessionName: String?
    var externalId: String?
    var durationSeconds: Int?
    var mfaSerial: String?
  }

  func assumeRoleWithWebIdentity(roleArn: String, sessionName: String, token: String) throws -> AWSCredentials {
    let form = [
      ("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", roleArn),
      ("RoleSessionName", sessionName), ("WebIdentityToken", token),
    ]
    return try call("AssumeRoleWithWebIdentity", role: roleArn, form: form, signedWith: nil)
  }

  func assumeRole(_ role: AssumeRole, signedWith source: AWSCredentials) throws -> AWSCredentials {
    var form = [
      ("Action", "AssumeRole"), ("Version", "2011-06-15"), ("RoleArn", role.roleArn),
      ("RoleSessionName", role.sessionName ?? "clipline-\(Int(Date().timeIntervalSince1970))"),
    ]
    if let externalId = role.externalId { form.append(("ExternalId", externalId)) }
    if let duration = role.durationSeconds { form.append(("DurationSeconds", String(duration))) }
    return try call("AssumeRole", role: role.roleArn, form: form, signedWith: source)
  }

  private func call(
    _ action: String, role: String, form: [(String, String)], signedWith source: AWSCredentials?
  ) throws -> AWSCredentials {
    let endpoint = settings.endpoint(.sts)
    let body = Array(form.map { "\($0.0)=\(HTTPClient.percentEncode($0.1))" }.joined(separator: "&").utf8)
    let response: HTTPResponse
    do {
      response = try RetryPolicy(attempts: 3).run(isRetryable: isRetryableAWSFailure) { _ in
        var request = HTTPRequest(
          method: "POST", url: endpoint + "/",
          headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], body: .bytes(body),
          timeout: 30)
        if let source {
          SigV4Signer(credentials: source, region: settings.region ?? "us-east-1", service: "sts").sign(&request)
        }
        return try HTTPClient(options: settings.httpOptions).send(request).checkedAWS()
      }
    } catch let error as AWSServiceError where !error.isRetryable {
      // A refusal is the role's trust or the source's keys (77); anything else, such as a duration_seconds over
      // the role's maximum, is the profile's to fix (78).
      let kind: AWSCredentialsError.Kind = error.exitStatus == .permissionDenied ? .refused : .malformed
      throw AWSCredentialsError(kind, "STS refused \(action) for \(role): \(error.code): \(error.message)")
    } catch {
      throw AWSCredentialsError(.unreachable, "STS \(action) for \(role) failed: \(describe(error))")
    }
    let xml = XMLScanner(response.body)
    guard let id = xml.text("AccessKeyId"), let secret = xml.text("SecretAccessKey") else {
      throw AWSCredentialsError(.malformed, "STS answered \(action) without credentials")
    }
    return AWSCredentials(
      accessKeyId: id, secretAccessKey: secret, sessionToken: xml.text("SessionToken"),
      expiration: xml.text("Expiration").flatMap(RFC3339.parse))
  }
}
