import ArgumentParser
import CliplineAWS

/// The aws CLI's global options, spelled as it spells them, shared by every tool that calls AWS (S3, KVS).
/// Each falls back to the usual AWS environment and files (`AWS_REGION`, `AWS_PROFILE`, `~/.aws/…`).
public struct AWSOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "The service endpoint (default: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL_KINESIS_VIDEO, then AWS_ENDPOINT_URL, "
        + "else AWS).", valueName: "url"))
  public var endpointUrl: String?

  @Option(help: "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's, us-east-1).")
  public var region: String?

  @Option(help: "AWS profile in ~/.aws/credentials and ~/.aws/config (default: AWS_PROFILE).")
  public var profile: String?

  @Option(help: "AWS access key id (default: the credential chain, starting with AWS_ACCESS_KEY_ID).")
  public var accessKeyId: String?

  @Option(
    help: "AWS secret access key, with --access-key-id. Visible to other users in ps: prefer the environment.")
  public var secretAccessKey: String?

  @Option(help: "Attempts per request before a throttle, network error or 5xx is final (then exit 75).")
  public var attempts: Int = 5

  public init() {}

  public func validate() throws {
    guard (1...20).contains(attempts) else { throw ValidationError("--attempts must be between 1 and 20.") }
    if (accessKeyId == nil) != (secretAccessKey == nil) {
      throw ValidationError("--access-key-id and --secret-access-key go together.")
    }
  }
}
