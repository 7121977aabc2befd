import ArgumentParser
import CliplineAWS
import CliplineCLI

/// The aws CLI's global options, spelled as it spells them, shared by every tool that calls AWS (S3, KVS).
/// Each falls back to the usual AWS environment and files (`AWS_REGION`, `AWS_PROFILE`, `~/.aws/…`).
public struct AWSOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "The service endpoint (default: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL_KINESIS_VIDEO, then AWS_ENDPOINT_URL, "
        + "then the profile's services section and endpoint_url, else AWS).", valueName: "url"))
  public var endpointUrl: String?

  @Option(
    help: "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's; S3 alone falls back to us-east-1).")
  public var region: String?

  @Option(help: "AWS profile in ~/.aws/credentials and ~/.aws/config (default: AWS_PROFILE).")
  public var profile: String?

  @Option(help: "AWS access key id (default: the credential chain, starting with AWS_ACCESS_KEY_ID).")
  public var accessKeyId: String?

  @Option(
    help: ArgumentHelp(
      "AWS secret access key, with --access-key-id. Visible to other users in ps (a warning says so): prefer "
        + "AWS_SECRET_ACCESS_KEY or a profile."))
  public var secretAccessKey: String?

  @Option(
    help: ArgumentHelp(
      "CA certificates (PEM) to verify AWS's TLS endpoints with (default: AWS_CA_BUNDLE, the profile's ca_bundle, "
        + "else the system's).", valueName: "file"), completion: .file())
  public var caBundle: String?

  @Option(help: "Attempts per request before a throttle, network error or 5xx is final (then exit 75).")
  public var attempts: Int = 5

  public init() {}

  /// The profile, region and CA bundle these flags, the environment and the shared files name.
  public func settings() -> AWSSettings { .resolve(profile: profile, region: region, caBundle: caBundle) }

  public func validate() throws {
    guard (1...20).contains(attempts) else { throw ValidationError("--attempts must be between 1 and 20.") }
    if (accessKeyId == nil) != (secretAccessKey == nil) {
      throw ValidationError("--access-key-id and --secret-access-key go together.")
    }
    if secretAccessKey != nil {
      SecretFlags.note(
        "--secret-access-key",
        saferWays: "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, a profile in "
          + "~/.aws/credentials, or a role (docs/aws.md)")
    }
  }
}
