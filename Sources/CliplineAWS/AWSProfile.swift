import CliplineHTTP
import CliplineRecords
import CliplineSystem
import Foundation

/// The profile in use and the shared files it lives in.
public struct AWSProfile: Sendable {
  public let name: String
  /// What named it (`--profile`, `AWS_PROFILE`, `AWS_DEFAULT_PROFILE`), or nil for the implicit "default".
  public let namedBy: String?
  public let files: AWSConfigFiles

  public init(name: String, namedBy: String?, files: AWSConfigFiles) {
    self.name = name
    self.namedBy = namedBy
    self.files = files
  }

  /// `flag`, `AWS_PROFILE`, `AWS_DEFAULT_PROFILE`, else "default"; the files read now.
  public static func select(flag: String?, files: AWSConfigFiles = .load()) -> AWSProfile {
    if let flag, !flag.isEmpty { return AWSProfile(name: flag, namedBy: "--profile", files: files) }
    for variable in ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"] {
      if let name = Settings.environment(variable) { return AWSProfile(name: name, namedBy: variable, files: files) }
    }
    return AWSProfile(name: "default", namedBy: nil, files: files)
  }

  public var exists: Bool { files.hasProfile(name) }

  public func value(_ key: String) -> String? { files.value(key, profile: name) }

  /// A profile something named must exist, as in the aws CLI (even one named "default"): a typo must not fall
  /// through to other credentials, or to none.
  public func checkExists() throws {
    guard let namedBy, !exists else { return }
    throw AWSConfigurationError(
      "the config profile \"\(name)\" (named by \(namedBy)) could not be found: neither \(files.configPath) "
        + "([profile \(name)]) nor \(files.credentialsPath) ([\(name)]) has it")
  }

  /// Another profile of the same files (a `source_profile`), named by the one that refers to it.
  func other(_ name: String) -> AWSProfile { AWSProfile(name: name, namedBy: nil, files: files) }
}

/// What a tool's AWS calls share, resolved once from flags, the environment and the profile: the profile, the
/// region (nil when nothing names one) and the CA bundle for TLS (`--ca-bundle`, `AWS_CA_BUNDLE`, the profile's
/// `ca_bundle`).
public struct AWSSettings: Sendable {
  public let profile: AWSProfile
  public let region: String?
  public let caBundle: String?

  public init(profile: AWSProfile, region: String?, caBundle: String?) {
    self.profile = profile
    self.region = region
    self.caBundle = caBundle
  }

  public static func resolve(profile: String? = nil, region: String? = nil, caBundle: String? = nil) -> AWSSettings {
    let selected = AWSProfile.select(flag: profile)
    let bundle = Settings.resolve(flag: caBundle, environment: "AWS_CA_BUNDLE") ?? selected.value("ca_bundle")
    return AWSSettings(
      profile: selected, region: AWSRegion.configured(flag: region, profile: selected),
      caBundle: bundle.map(AWSConfigFiles.expand))
  }

  /// The region, for a service that has no global endpoint: none anywhere is a configuration error (the aws CLI's
  /// "You must specify a region"), not a silent us-east-1.
  public func requiredRegion(for service: String) throws -> String {
    try profile.checkExists()
    guard let region else {
      throw AWSConfigurationError(
        "you must specify a region for \(service): --region, AWS_REGION (or AWS_DEFAULT_REGION), or region in the "
          + "profile \"\(profile.name)\" of \(profile.files.configPath) (aws configure set region …)")
    }
    return region
  }

  /// Where `service` is reached; a service with a global endpoint gets `fallbackRegion` when no region is set.
  public func endpoint(_ service: AWSService, flag: String? = nil, fallbackRegion: String = "us-east-1") -> String {
    AWSEndpoint.resolve(service, region: region ?? fallbackRegion, flag: flag, profile: profile)
  }

  /// libcurl's options for AWS's endpoints: the CA bundle.
  public var httpOptions: HTTPClient.Options {
    var options = HTTPClient.Options()
    options.caFile = caBundle
    return options
  }
}

/// The AWS configuration cannot work as it stands (a profile that does not exist, no region): exit 78.
public struct AWSConfigurationError: ExitStatusProviding, CustomStringConvertible {
  public let message: String

  public init(_ message: String) { self.message = message }

  public var description: String { "AWS configuration: \(message)" }
  public var exitStatus: ExitStatus { .configuration }
}
