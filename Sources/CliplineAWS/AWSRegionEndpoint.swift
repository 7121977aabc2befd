import CliplineRecords
import CliplineSystem
import Foundation

/// The region requests are signed for and sent to.
public struct AWSRegion {
  /// `flag`, `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region` in `~/.aws/config`, else us-east-1.
  public static func resolve(flag: String?) -> String { resolve(flag: flag, profile: nil) }

  public static func resolve(flag: String?, profile: String?) -> String {
    if let region = Settings.resolve(flag: flag, environment: "AWS_REGION", "AWS_DEFAULT_REGION") { return region }
    let files = AWSConfigFiles.load()
    return files.config[AWSConfigFiles.profileName(profile)]?["region"] ?? "us-east-1"
  }
}

/// Where a service is reached: a flag, the service's own `AWS_ENDPOINT_URL_<SUFFIX>`, `AWS_ENDPOINT_URL`, else AWS.
public enum AWSEndpoint {
  public static func resolve(service: String, envSuffix: String, region: String, flag: String?) -> String {
    if let chosen = Settings.resolve(flag: flag, environment: "AWS_ENDPOINT_URL_" + envSuffix, "AWS_ENDPOINT_URL") {
      return chosen.hasSuffix("/") ? String(chosen.dropLast()) : chosen
    }
    let domain = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
    return "https://\(service).\(region).\(domain)"
  }
}
