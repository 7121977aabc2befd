import ArgumentParser
import CliplineAWSFlags
import CliplineBlobStores
import CliplineSystem
import Foundation

/// The flags every storage tool spells the same way: where S3 is, who we are, how transfers are cut.
/// Azure reads `AZURE_STORAGE_CONNECTION_STRING` (or `AZURE_STORAGE_ACCOUNT` + `AZURE_STORAGE_KEY`, or
/// `AZURE_STORAGE_SAS_TOKEN`); flags override.
public struct StorageOptions: ParsableArguments {
  @OptionGroup public var aws: AWSOptions

  @Option(help: "S3 addressing: auto (virtual-hosted on AWS, path-style elsewhere), path or virtual.")
  public var addressingStyle: String?

  @Option(help: "Azure connection string (default: AZURE_STORAGE_CONNECTION_STRING).")
  public var azureConnectionString: String?

  @Option(help: "Part (and block) size for large transfers: bytes, or with K/M/G (MiB units).")
  public var partSize: String = "16M"

  @Option(help: "Files at least this large use multipart (S3) or block (Azure) uploads and ranged downloads.")
  public var multipartThreshold: String = "16M"

  @Option(help: "Parts or ranges in flight at once for one object.")
  public var concurrency: Int = 8

  public init() {}

  public func validate() throws {
    guard let part = Self.byteCount(partSize), part >= 5 << 20 else {
      throw ValidationError("--part-size must be at least 5M (S3's minimum part), e.g. 16M.")
    }
    _ = part
    guard Self.byteCount(multipartThreshold) != nil else {
      throw ValidationError("--multipart-threshold must be a size like 16M.")
    }
    guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 64.") }
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
    guard let value = Double(digits), value >= 0 else { return nil }
    return Int64(value * Double(scale))
  }

  public func stores() -> BlobStoreSet {
    let part = Self.byteCount(partSize) ?? 16 << 20
    let threshold = Self.byteCount(multipartThreshold) ?? 16 << 20
    let retry = RetryPolicy(attempts: aws.attempts, baseDelay: 0.25, maximumDelay: 8)
    let options = self
    return BlobStoreSet(
      s3: {
        var configuration = S3Configuration.standard(
          endpoint: options.aws.endpointUrl, region: options.aws.region, profile: options.aws.profile,
          accessKeyId: options.aws.accessKeyId, secretAccessKey: options.aws.secretAccessKey,
          addressing: options.addressingStyle.flatMap(S3Addressing.init))
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
