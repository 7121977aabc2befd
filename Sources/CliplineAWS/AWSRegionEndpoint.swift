import CliplineRecords
import CliplineSystem
import Foundation

/// An AWS service as the configuration names it: SigV4's name, the key of its block in a `[services …]` section
/// and of its `AWS_ENDPOINT_URL_<KEY>` variable (botocore's service id, lower case, spaces as underscores), and
/// the first label of AWS's own host.
public struct AWSService: Sendable, Equatable {
  public let signingName: String
  public let configKey: String
  public let hostPrefix: String

  public init(signingName: String, configKey: String, hostPrefix: String) {
    self.signingName = signingName
    self.configKey = configKey
    self.hostPrefix = hostPrefix
  }

  public static let s3 = AWSService(signingName: "s3", configKey: "s3", hostPrefix: "s3")
  public static let kinesisVideo = AWSService(
    signingName: "kinesisvideo", configKey: "kinesis_video", hostPrefix: "kinesisvideo")
  public static let sts = AWSService(signingName: "sts", configKey: "sts", hostPrefix: "sts")
  /// The IAM Identity Center portal (GetRoleCredentials); its requests carry a bearer token, not a signature.
  public static let sso = AWSService(signingName: "awsssoportal", configKey: "sso", hostPrefix: "portal.sso")

  /// `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_KINESIS_VIDEO`, …
  public var endpointVariable: String { "AWS_ENDPOINT_URL_" + configKey.uppercased() }
}

/// The region requests are signed for and sent to.
public enum AWSRegion {
  /// `flag`, `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`; nil when none of them says.
  public static func configured(flag: String?, profile: AWSProfile) -> String? {
    Settings.resolve(flag: flag, environment: "AWS_REGION", "AWS_DEFAULT_REGION") ?? profile.value("region")
  }

  /// As `configured`, else us-east-1: for S3, whose global endpoint botocore also signs for us-east-1.
  public static func resolve(flag: String?, profile: String? = nil) -> String {
    configured(flag: flag, profile: AWSProfile.select(flag: profile)) ?? "us-east-1"
  }
}

/// Where a service is reached, in the aws CLI's order: the flag; unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` or
/// the profile's `ignore_configured_endpoint_urls` is true, the service's `AWS_ENDPOINT_URL_<KEY>`, then
/// `AWS_ENDPOINT_URL`, then the service's block in the profile's `services` section, then the profile's
/// `endpoint_url`; else AWS's own endpoint for the region.
public enum AWSEndpoint {
  /// The endpoint something configures, or nil for AWS's own.
  public static func configured(_ service: AWSService, flag: String?, profile: AWSProfile) -> String? {
    if let flag, !flag.isEmpty { return trimmed(flag) }
    let ignore =
      Settings.environment("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") ?? profile.value("ignore_configured_endpoint_urls")
    if ignore?.lowercased() == "true" { return nil }
    let fromEnvironment = Settings.resolve(flag: nil, environment: service.endpointVariable, "AWS_ENDPOINT_URL")
    let fromServices = profile.value("services").flatMap {
      profile.files.services[$0]?[service.configKey + ".endpoint_url"]
    }
    return (fromEnvironment ?? fromServices ?? profile.value("endpoint_url")).map(trimmed)
  }

  public static func resolve(_ service: AWSService, region: String, flag: String?, profile: AWSProfile) -> String {
    configured(service, flag: flag, profile: profile) ?? standard(service, region: region)
  }

  /// AWS's own endpoint for a service in a region.
  public static func standard(_ service: AWSService, region: String) -> String {
    let domain = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
    return "https://\(service.hostPrefix).\(region).\(domain)"
  }

  private static func trimmed(_ url: String) -> String { url.hasSuffix("/") ? String(url.dropLast()) : url }
}
