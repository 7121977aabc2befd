import CliplineRecords
import CliplineSystem
import Foundation

/// The places AWS tools look for credentials, in botocore's order: flags, environment, web identity (EKS),
/// the profile in the shared files, the container endpoint (ECS/EKS Pod Identity), EC2 instance metadata.
/// The answer is cached and fetched again five minutes before it expires; copies share the cache.
public struct AWSCredentialChain: AWSCredentialsProvider {
  /// Temporary credentials are renewed this long before their expiry, so no request is signed with a dying key.
  public static let refreshMargin: TimeInterval = 300

  let sources: [AWSCredentialSource]
  private let cache = Cache()

  init(sources: [AWSCredentialSource]) { self.sources = sources }

  public static func standard(
    profile: String? = nil, accessKeyId: String? = nil, secretAccessKey: String? = nil
  ) -> AWSCredentialChain {
    let explicitProfile = profile != nil
    let profileName = AWSConfigFiles.profileName(profile)
    var sources: [AWSCredentialSource] = [
      ExplicitCredentialSource(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey)
    ]
    // A profile named by flag beats the environment's keys, as `aws --profile` does.
    if !explicitProfile { sources.append(EnvironmentCredentialSource()) }
    sources += [WebIdentityCredentialSource(), ProfileCredentialSource(profile: profileName)]
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
