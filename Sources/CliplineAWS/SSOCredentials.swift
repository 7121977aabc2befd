import CliplineCrypto
import CliplineHTTP
import CliplineRecords
import CliplineSystem
import Foundation

/// IAM Identity Center (SSO) profiles: the access token `aws sso login` keeps in `~/.aws/sso/cache/<sha1>.json`
/// traded at the portal's GetRoleCredentials for the role's credentials. Both forms of the aws CLI's config: a
/// profile naming an `[sso-session X]` (the token's file is the SHA-1 of X) and the older one with `sso_start_url`
/// and `sso_region` in the profile (the SHA-1 of the start URL). The token is not refreshed here: an expired one
/// says to run `aws sso login`, which does.
struct SSOCredentials {
  let settings: AWSSettings

  struct Configuration {
    var profile: String
    var session: String?
    var startURL: String
    var region: String
    var accountId: String
    var roleName: String
    /// What names the token's cache file: the session, or the start URL for the older form.
    var tokenName: String { session ?? startURL }
    var login: String { "aws sso login --profile \(profile)" }
  }

  func resolve(profile: String, _ values: [String: String]) throws -> AWSCredentials {
    let configuration = try self.configuration(profile: profile, values)
    let token = try SSOTokenCache.standard().accessToken(for: configuration)
    return try roleCredentials(configuration, token: token)
  }

  func configuration(profile: String, _ values: [String: String]) throws -> Configuration {
    var merged = values
    if let session = values["sso_session"] {
      guard let sessionValues = settings.profile.files.ssoSessions[session] else {
        throw AWSCredentialsError(
          .malformed,
          "profile \"\(profile)\" names sso_session \"\(session)\", and \(settings.profile.files.configPath) has no "
            + "[sso-session \(session)]")
      }
      for (key, value) in sessionValues {
        if let own = merged[key], own != value {
          throw AWSCredentialsError(
            .malformed, "\(key) is \(own) in profile \"\(profile)\" but \(value) in sso-session \"\(session)\"")
        }
        merged[key] = value
      }
    }
    let required = ["sso_start_url", "sso_region", "sso_account_id", "sso_role_name"]
    let missing = required.filter { merged[$0] == nil }
    guard missing.isEmpty else {
      throw AWSCredentialsError(
        .malformed, "profile \"\(profile)\" uses SSO but lacks \(missing.joined(separator: ", "))")
    }
    return Configuration(
      profile: profile, session: values["sso_session"], startURL: merged["sso_start_url"]!,
      region: merged["sso_region"]!, accountId: merged["sso_account_id"]!, roleName: merged["sso_role_name"]!)
  }

  /// GetRoleCredentials: a GET with the token in `x-amz-sso_bearer_token`, unsigned, at the portal of the SSO
  /// region (or where `AWS_ENDPOINT_URL_SSO` or the profile's `services` say).
  private func roleCredentials(_ configuration: Configuration, token: String) throws -> AWSCredentials {
    let endpoint = AWSEndpoint.resolve(.sso, region: configuration.region, flag: nil, profile: settings.profile)
    let url =
      endpoint + "/federation/credentials?account_id=" + HTTPClient.percentEncode(configuration.accountId)
      + "&role_name=" + HTTPClient.percentEncode(configuration.roleName)
    let request = HTTPRequest(url: url, headers: [("x-amz-sso_bearer_token", token)], timeout: 30)
    let response: HTTPResponse
    let role = "role \(configuration.roleName) in account \(configuration.accountId)"
    do {
      response = try RetryPolicy(attempts: 3).run(isRetryable: isRetryableAWSFailure) { _ in
        try HTTPClient(options: settings.httpOptions).send(request).checkedAWS()
      }
    } catch let error as AWSServiceError where error.status == 401 {
      throw AWSCredentialsError(
        .refused,
        "the SSO portal no longer accepts the token of \(configuration.tokenName): run \"\(configuration.login)\"")
    } catch let error as AWSServiceError where !error.isRetryable {
      throw AWSCredentialsError(.refused, "the SSO portal refused the \(role): \(error.code): \(error.message)")
    } catch {
      throw AWSCredentialsError(.unreachable, "the SSO portal failed for the \(role): \(describe(error))")
    }
    guard case .object(let answer)? = try? JSONParser.parse(response.body),
      case .object(let credentials)? = answer["roleCredentials"],
      let id = credentials["accessKeyId"]?.stringValue, let secret = credentials["secretAccessKey"]?.stringValue
    else { throw AWSCredentialsError(.malformed, "the SSO portal answered without credentials for the \(role)") }
    var expiration: Date?
    if case .integer(let milliseconds)? = credentials["expiration"] {
      expiration = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
    return AWSCredentials(
      accessKeyId: id, secretAccessKey: secret, sessionToken: credentials["sessionToken"]?.stringValue,
      expiration: expiration)
  }
}

/// The aws CLI's SSO token cache, `~/.aws/sso/cache/`: one JSON file per session (or start URL), named by its
/// SHA-1, with `accessToken` and `expiresAt`.
struct SSOTokenCache {
  let directory: String

  static func standard() -> SSOTokenCache {
    let home = Settings.environment("HOME") ?? NSHomeDirectory()
    return SSOTokenCache(directory: home + "/.aws/sso/cache")
  }

  static func fileName(for name: String) -> String {
    guard let digest = try? Digest(.sha1) else { return name }
    digest.update(name)
    return digest.finish().hexString + ".json"
  }

  func accessToken(for configuration: SSOCredentials.Configuration, now: Date = Date()) throws -> String {
    let path = directory + "/" + Self.fileName(for: configuration.tokenName)
    guard let data = FileManager.default.contents(atPath: path) else {
      throw AWSCredentialsError(
        .notFound, "no SSO login for \(configuration.tokenName) (\(path)): run \"\(configuration.login)\"")
    }
    guard case .object(let file)? = try? JSONParser.parse(Array(data)),
      let token = file["accessToken"]?.stringValue,
      let expiresAt = file["expiresAt"]?.stringValue.flatMap(AssumedRoleCache.parseExpiration)
    else {
      throw AWSCredentialsError(
        .malformed, "\(path) holds no accessToken and expiresAt: run \"\(configuration.login)\"")
    }
    guard expiresAt > now else {
      throw AWSCredentialsError(
        .refused,
        "the SSO login for \(configuration.tokenName) expired at \(RFC3339.format(expiresAt, fractionalDigits: 0)): "
          + "run \"\(configuration.login)\"")
    }
    return token
  }
}
