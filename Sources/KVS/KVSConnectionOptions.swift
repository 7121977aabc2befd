import ArgumentParser
import Foundation
import ToolSupport

/// The AWS flags both KVS tools spell the same way; each falls back to the usual AWS environment and files.
public struct KVSConnectionOptions: ParsableArguments {
  @Option(name: .long, help: "The AWS region (else AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1).")
  public var region: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The KVS control-plane endpoint (else AWS_ENDPOINT_URL_KINESIS_VIDEO, AWS_ENDPOINT_URL, AWS).", valueName: "url"))
  public var endpointUrl: String?

  @Option(name: .long, help: "The profile in ~/.aws/credentials and ~/.aws/config (else AWS_PROFILE, default).")
  public var profile: String?

  @Option(name: .long, help: "How many times a throttled or failed KVS call is tried, with jittered backoff.")
  public var attempts = 6

  public init() {}

  public func validate() throws {
    if attempts < 1 { throw ValidationError("--attempts must be at least 1.") }
  }

  public func configuration() -> KVSConfiguration {
    var configuration = KVSConfiguration.resolve(region: region, endpoint: endpointUrl, profile: profile)
    configuration.retry.attempts = attempts
    return configuration
  }

  /// A client that reports each retry on stderr.
  public func client(diagnostics: Diagnostics) -> KVSClient {
    let client = KVSClient(configuration: configuration())
    client.onRetry = { operation, error, attempt, delay in
      diagnostics.warning(
        "\(operation) attempt \(attempt) failed (\((error as? KVSError)?.summary ?? describe(error))); retrying in "
          + "\(String(format: "%.2f", delay)) s")
    }
    return client
  }
}

/// `--inference-config '{"vlm_provider":"bedrock"}'` or `--inference-config @config.json`.
public enum JSONArgument {
  public static func parse(_ text: String, flag: String) throws -> JSONValue {
    var source = text
    if text.hasPrefix("@") {
      let path = String(text.dropFirst())
      guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("\(flag): cannot read \(path).")
      }
      source = String(decoding: data, as: UTF8.self)
    }
    do {
      return try JSONParser.parse(Array(source.utf8))
    } catch {
      throw ValidationError("\(flag) must be JSON (or @file holding JSON): \(describe(error)).")
    }
  }
}
