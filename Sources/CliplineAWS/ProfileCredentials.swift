import CliplineRecords
import CliplineSystem
import Foundation

/// The credentials the profile in use describes, in two places of the chain as in botocore's: a role it assumes
/// with a source's credentials comes before the environment's web identity (an EKS pod that assumes a role in
/// another account through its profile has both), everything else after.
struct ProfileCredentialSource: AWSCredentialSource {
  enum Part { case assumedRole, other }
  let settings: AWSSettings
  let part: Part
  var name: String { "profile \(settings.profile.name)" }

  func resolve() throws -> AWSCredentials? {
    let profile = settings.profile.name
    let credentials = ProfileCredentials(settings: settings)
    let values = credentials.files.settings(profile: profile)
    switch (part, ProfileCredentials.assumesRole(values)) {
    case (.assumedRole, true): return try credentials.assumeRole(profile, values, visited: [profile])
    case (.other, false): return try credentials.resolveWithoutAssumeRole(profile, values)
    default: return nil
    }
  }
}

/// A profile's credentials in botocore's order: a role assumed with a source's credentials (`role_arn` with
/// `source_profile` or `credential_source`), a role for a web identity token (`role_arn` with
/// `web_identity_token_file`), IAM Identity Center (`sso_session` or `sso_start_url`, with `sso_account_id` and
/// `sso_role_name`), keys, `credential_process`.
struct ProfileCredentials {
  let settings: AWSSettings
  var files: AWSConfigFiles { settings.profile.files }

  /// A role assumed with another's credentials (a role with a web identity token file is that token's).
  static func assumesRole(_ values: [String: String]) -> Bool {
    values["role_arn"] != nil && values["web_identity_token_file"] == nil
  }

  /// What botocore asks of a source profile that has keys (or no role of its own): everything but AssumeRole.
  func resolveWithoutAssumeRole(_ profile: String, _ values: [String: String]) throws -> AWSCredentials? {
    if let roleArn = values["role_arn"], let tokenFile = values["web_identity_token_file"] {
      return try WebIdentityCredentialSource.assume(
        roleArn: roleArn, tokenFile: tokenFile, sessionName: values["role_session_name"] ?? "clipline-\(getpid())",
        settings: settings)
    }
    if values["sso_account_id"] != nil || values["sso_role_name"] != nil {
      return try SSOCredentials(settings: settings).resolve(profile: profile, values)
    }
    if values["aws_access_key_id"] != nil || values["aws_secret_access_key"] != nil {
      guard let id = values["aws_access_key_id"], let secret = values["aws_secret_access_key"] else {
        throw AWSCredentialsError(
          .malformed, "profile \"\(profile)\" has only one of aws_access_key_id and aws_secret_access_key")
      }
      return AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: values["aws_session_token"])
    }
    if let command = values["credential_process"] { return try CredentialProcess(command: command).run() }
    return nil
  }

  /// AssumeRole at STS, signed with the source's credentials; the aws CLI's cache first, so a role one process
  /// assumed serves the next ones (and the source is not even resolved).
  func assumeRole(_ profile: String, _ values: [String: String], visited: [String]) throws -> AWSCredentials {
    let role = STSClient.AssumeRole(
      roleArn: values["role_arn"] ?? "", sessionName: values["role_session_name"], externalId: values["external_id"],
      durationSeconds: values["duration_seconds"].flatMap { Int($0) }, mfaSerial: values["mfa_serial"])
    let cache = AssumedRoleCache.standard()
    if let cached = cache?.load(role) { return cached }
    if let serial = role.mfaSerial {
      throw AWSCredentialsError(
        .malformed,
        "profile \"\(profile)\" needs an MFA code for \(serial), which clipline cannot ask for: run an aws "
          + "command with --profile \(profile) first (the aws CLI keeps the role's credentials in "
          + "~/.aws/cli/cache, where clipline finds them until 15 minutes before they expire)")
    }
    let source = try sourceCredentials(profile, values, visited: visited)
    let assumed = try STSClient(settings: settings).assumeRole(role, signedWith: source)
    cache?.store(assumed, for: role)
    return assumed
  }

  private func sourceCredentials(
    _ profile: String, _ values: [String: String], visited: [String]
  ) throws -> AWSCredentials {
    switch (values["source_profile"], values["credential_source"]) {
    case (_?, _?):
      throw AWSCredentialsError(
        .malformed, "profile \"\(profile)\" has both source_profile and credential_source: keep one")
    case (nil, nil):
      throw AWSCredentialsError(
        .malformed, "profile \"\(profile)\" has role_arn but neither source_profile nor credential_source")
    case (nil, let named?):
      return try namedSource(named, of: profile)
    case (let source?, nil):
      return try profileSource(source, of: profile, visited: visited)
    }
  }

  private func profileSource(_ source: String, of profile: String, visited: [String]) throws -> AWSCredentials {
    guard files.hasProfile(source) else {
      throw AWSCredentialsError(
        .malformed, "the source_profile \"\(source)\" of profile \"\(profile)\" does not exist")
    }
    let values = files.settings(profile: source)
    let hasKeys = values["aws_access_key_id"] != nil || values["aws_secret_access_key"] != nil
    // A profile may name itself as its source, to keep its keys beside its role; any other return is a loop.
    if visited.contains(source), !(source == profile && hasKeys) {
      throw AWSCredentialsError(
        .malformed, "source_profile goes round in a loop: " + (visited + [source]).joined(separator: " -> "))
    }
    if hasKeys || !Self.assumesRole(values) {
      guard let found = try resolveWithoutAssumeRole(source, values) else {
        throw AWSCredentialsError(
          .malformed, "the source_profile \"\(source)\" of profile \"\(profile)\" has no credentials")
      }
      return found
    }
    return try assumeRole(source, values, visited: visited + [source])
  }

  /// `credential_source`: where an EC2 instance, a container or the environment keeps the source's credentials.
  private func namedSource(_ named: String, of profile: String) throws -> AWSCredentials {
    let sources: [String: AWSCredentialSource] = [
      "Environment": EnvironmentCredentialSource(), "Ec2InstanceMetadata": InstanceMetadataCredentialSource(),
      "EcsContainer": ContainerCredentialSource(),
    ]
    guard let source = sources[named] else {
      throw AWSCredentialsError(
        .malformed,
        "the credential_source \"\(named)\" of profile \"\(profile)\" is not Environment, Ec2InstanceMetadata or "
          + "EcsContainer")
    }
    guard let found = try source.resolve() else {
      throw AWSCredentialsError(
        .notFound, "the credential_source \(named) of profile \"\(profile)\" has no credentials here")
    }
    return found
  }
}
