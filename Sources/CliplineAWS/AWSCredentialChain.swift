import CliplineRecords
import CliplineSystem
import Foundation

/// The places AWS tools look for credentials, in botocore's order: flags, environment, a role the profile assumes
/// with a source's credentials, web identity (EKS), the rest of the profile (web identity, IAM Identity Center,
/// keys, credential_process), the container endpoint (ECS/EKS Pod Identity), EC2 instance metadata. A profile that
/// was named must exist. The answer is cached and fetched again five minutes before it expires; copies share the
/// cache.
public struct AWSCredentialChain: AWSCredentialsProvider {
  /// Temporary credentials are renewed this long before their expiry, so no request is signed with a dying key.
  public static let refreshMargin: TimeInterval = 300

  let sources: [AWSCredentialSource]
  private let cache = Cache()

  init(sources: [AWSCredentialSource]) { self.sources = sources }

  public static func standard(
    profile: String? = nil, accessKeyId: String? = nil, secretAccessKey: String? = nil
  ) -> AWSCredentialChain {
    standard(settings: .resolve(profile: profile), accessKeyId: accessKeyId, secretAccessKey: secretAccessKey)
  }

  public static func standard(
    settings: AWSSettings, accessKeyId: String? = nil, secretAccessKey: String? = nil
  ) -> AWSCredentialChain {
    let flags = ExplicitCredentialSource(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey)
    if settings.profile.namedBy != nil, !settings.profile.exists {
      return AWSCredentialChain(sources: [flags, MissingProfileSource(profile: settings.profile)])
    }
    // A profile named by flag beats the environment's keys, as `aws --profile` does.
    let explicitProfile = settings.profile.namedBy == "--profile"
    var sources: [AWSCredentialSource] = [flags]
    if !explicitProfile { sources.append(EnvironmentCredentialSource()) }
    sources += [
      ProfileCredentialSource(settings: settings, part: .assumedRole), WebIdentityCredentialSource(settings: settings),
      ProfileCredentialSource(settings: settings, part: .other),
    ]
    if !explicitProfile {
      sources += [ContainerCredentialSource(), InstanceMetadataCredentialSource()]
    }
    return AWSCredentialChain(sources: sources)
  }

  public func credentials() throws -> AWSCredentials {
    try cache.get(margin: Self.refreshMargin) { try resolve() }
  }

  /// Which source answered (for --verbose), without its values.
  public func sourceName() throws -> String {
    _ = try credentials()
    return cache.sourceName ?? "none"
  }

  private func resolve() throws -> (AWSCredentials, String) {
    for source in sources {
      if let found = try source.resolve() { return (found, source.name) }
    }
    throw AWSCredentialsError(
      .notFound,
      "none found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE with ~/.aws/credentials, "
        + "or run where container or instance credentials are available")
  }

  final class Cache: @unchecked Sendable {  // `lock` guards `current` and `name`, and serialises the fetches
    private let lock = NSLock()
    private var current: AWSCredentials?
    private var name: String?

    /// Which source the cached credentials came from.
    var sourceName: String? { lock.withLock { name } }

    func get(margin: TimeInterval, _ fetch: () throws -> (AWSCredentials, String)) throws -> AWSCredentials {
      try lock.withLock {
        if let current, !current.expires(within: margin) { return current }
        do {
          let (fresh, name) = try fetch()
          current = fresh
          self.name = name
          return fresh
        } catch {
          // A refresh that fails while the old credentials still work is not worth failing a request for.
          if let current, !current.expires(within: 0) { return current }
          throw error
        }
      }
    }
  }
}
