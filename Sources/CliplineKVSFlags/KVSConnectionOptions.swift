import ArgumentParser
import CliplineAWSFlags
import CliplineKVS
import CliplineRecords
import CliplineSystem

/// The flags both KVS tools share: the AWS options, and a client that reports each retry on stderr.
public struct KVSConnectionOptions: ParsableArguments {
  @OptionGroup public var aws: AWSOptions

  public init() {}

  /// Throws when no region is set anywhere, or the profile named does not exist (78).
  public func configuration() throws -> KVSConfiguration {
    var configuration = try KVSConfiguration.resolve(
      settings: aws.settings(), endpoint: aws.endpointUrl, accessKeyId: aws.accessKeyId,
      secretAccessKey: aws.secretAccessKey)
    configuration.retry.attempts = aws.attempts
    return configuration
  }

  /// A client that reports each retry on stderr.
  public func client(diagnostics: Diagnostics) throws -> KVSClient {
    let client = KVSClient(configuration: try configuration())
    client.onRetry = { operation, error, attempt, delay in
      diagnostics.warning(
        "\(operation) attempt \(attempt) failed (\((error as? KVSError)?.summary ?? describe(error))); retrying in "
          + "\(String(format: "%.2f", delay)) s")
    }
    return client
  }
}
