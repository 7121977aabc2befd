import ArgumentParser
import CliplineAWSFlags
import CliplineBlobStores
import CliplineCLI
import CliplineSystem
import Foundation

/// The flags every storage tool spells the same way: where S3 is, who we are, how transfers are cut.
/// Azure reads `AZURE_STORAGE_CONNECTION_STRING` (or `AZURE_STORAGE_ACCOUNT` + `AZURE_STORAGE_KEY`, or
/// `AZURE_STORAGE_SAS_TOKEN`); flags override.
public struct StorageOptions: ParsableArguments {
  @OptionGroup public var aws: AWSOptions
  @OptionGroup public var transfer: StorageTransferOptions

  public init() {}

  public func stores() -> BlobStoreSet { transfer.stores(aws: aws, s3Endpoint: aws.endpointUrl) }
}

/// How storage is addressed and transfers are cut, without the AWS options: for a tool whose AWS options are
/// another service's (`kvs-clip --to`: `--endpoint-url` is KVS's, S3's comes from `AWS_ENDPOINT_URL_S3`).
public struct StorageTransferOptions: ParsableArguments {
  @Option(help: "S3 addressing: auto (virtual-hosted on AWS, path-style elsewhere), path or virtual.")
  public var addressingStyle: String?

  @Option(
    help: ArgumentHelp(
      "Azure connection string (default: AZURE_STORAGE_CONNECTION_STRING, the safer way: a key or SAS here shows "
        + "in ps)."))
  public var azureConnectionString: String?

  @Option(help: "Part (and block) size for large transfers, 5M to 5G: bytes, or with K/M/G (MiB units).")
  public var partSize: String = "16M"

  @Option(
    help: ArgumentHelp(
      "Files at least this large (at most 5G, S3's largest single PUT) use multipart (S3) or block (Azure) "
        + "uploads and ranged downloads."))
  public var multipartThreshold: String = "16M"

  @Option(help: "Parts or ranges of one object in flight at once (1 to 64; default 8).")
  public var partJobs: Int?
  @Option(name: .customLong("concurrency"), help: .hidden) public var partJobsAlias: Int?
  /// `--part-jobs`, or its old spelling `--concurrency`.
  public var concurrency: Int { partJobs ?? partJobsAlias ?? 8 }

  public init() {}

  /// S3's limits: parts of 5 MiB to 5 GiB, single PUTs up to 5 GiB.
  static let partSizes: ClosedRange<Int64> = (5 << 20)...(5 << 30)
  static let thresholds: ClosedRange<Int64> = 0...(5 << 30)

  public func validate() throws {
    guard let part = Self.byteCount(partSize), Self.partSizes.contains(part) else {
      throw ValidationError("--part-size must be between 5M (S3's smallest part) and 5G (its largest), e.g. 16M.")
    }
    guard let threshold = Self.byteCount(multipartThreshold), Self.thresholds.contains(threshold) else {
      throw ValidationError("--multipart-threshold must be a size from 0 to 5G, like 16M.")
    }
    guard (1...64).contains(concurrency) else { throw ValidationError("--part-jobs must be between 1 and 64.") }
    let connection = azureConnectionString?.lowercased() ?? ""
    if connection.contains("accountkey=") || connection.contains("sharedaccesssignature=") {
      SecretFlags.note(
        "--azure-connection-string",
        saferWays: "AZURE_STORAGE_CONNECTION_STRING (or AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY) in the "
          + "environment")
    }
    if let addressingStyle, S3Addressing(rawValue: addressingStyle) == nil {
      throw ValidationError("--addressing-style must be auto, path or virtual.")
    }
  }

  /// `16M`, `1G`, `512K`, `1048576`.
  public static func byteCount(_ text: String) -> Int64? {
    let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased().replacingOccurrences(of: "IB", with: "")
      .replacingOccurrences(of: "B", with: "")
    let scale: Int64
    var digits = trimmed
    switch trimmed.last {
    case "K": scale = 1 << 10
    case "M": scale = 1 << 20
    case "G": scale = 1 << 30
    default: scale = 1
    }
    if scale > 1 { digits.removeLast() }
    guard let value = Double(digits), value >= 0, value * Double(scale) < 0x1p62 else { return nil }
    return Int64(value * Double(scale))
  }

  /// The stores, with the credentials, region and retries of `aws` and S3 at `s3Endpoint` (nil: the environment's).
  public func stores(aws: AWSOptions, s3Endpoint: String?) -> BlobStoreSet {
    let part = Self.byteCount(partSize) ?? 16 << 20
    let threshold = Self.byteCount(multipartThreshold) ?? 16 << 20
    let retry = RetryPolicy(attempts: aws.attempts, baseDelay: 0.25, maximumDelay: 8)
    let options = self
    return BlobStoreSet(
      s3: {
        var configuration = S3Configuration.standard(
          endpoint: s3Endpoint, region: aws.region, profile: aws.profile, accessKeyId: aws.accessKeyId,
          secretAccessKey: aws.secretAccessKey,
          addressing: options.addressingStyle.flatMap(S3Addressing.init), caBundle: aws.caBundle)
        configuration.partSize = part
        configuration.multipartThreshold = threshold
        configuration.concurrency = options.concurrency
        configuration.retry = retry
        return configuration
      },
      azure: {
        var configuration = AzureConfiguration.standard(connectionString: options.azureConnectionString)
        configuration.blockSize = min(part, 100 << 20)
        configuration.blockThreshold = threshold
        configuration.concurrency = options.concurrency
        configuration.retry = retry
        return configuration
      })
  }
}
