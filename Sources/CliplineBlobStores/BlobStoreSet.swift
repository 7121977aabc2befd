import CliplineAWS
import CliplineRecords
import CliplineSystem
import Foundation

/// The store for each kind of location, built on first use from flags and the environment: S3 (credential chain,
/// `AWS_ENDPOINT_URL_S3`…), Azure Blob (`AZURE_STORAGE_*`), local files.
///
/// `lock` guards `s3` and `azure`, and every call of `makeS3` and `makeAzure` (not Sendable: they run under it, once
/// each); `local` is immutable.
public final class BlobStoreSet: @unchecked Sendable {
  private let lock = NSLock()
  private let makeS3: () -> S3Configuration
  private let makeAzure: () -> AzureConfiguration
  private var s3: S3Store?
  private var azure: AzureBlobStore?
  private let local = LocalBlobStore()

  public init(
    s3: @escaping () -> S3Configuration = { S3Configuration.standard() },
    azure: @escaping () -> AzureConfiguration = { AzureConfiguration.standard() }
  ) {
    makeS3 = s3
    makeAzure = azure
  }

  public static func standard() -> BlobStoreSet { BlobStoreSet() }

  public func store(for location: BlobLocation) throws -> BlobStore {
    switch location {
    case .s3: return s3Store()
    case .azure: return azureStore()
    case .file: return local
    case .http: throw UnsupportedLocation(location: location)
    }
  }

  public func s3Store() -> S3Store {
    lock.withLock {
      if let s3 { return s3 }
      let made = S3Store(configuration: makeS3())
      s3 = made
      return made
    }
  }

  public func azureStore() -> AzureBlobStore {
    lock.withLock {
      if let azure { return azure }
      let made = AzureBlobStore(configuration: makeAzure())
      azure = made
      return made
    }
  }

  /// The expiry an object carries (tag, else `Expires`), on any backend.
  public func expiry(of info: BlobInfo) throws -> Date? {
    guard let cloud = try store(for: info.location) as? CloudBlobStore else { return info.expiresAt }
    return try cloud.expiry(of: info.location)
  }
}
