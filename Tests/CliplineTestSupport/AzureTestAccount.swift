import CliplineBlobStores
import CliplineSystem
import Foundation

/// The Blob endpoint `scripts/services start azure-blob` runs, whose SharedKey and SAS checks are azure-storage-blob's
/// own code, and the account it serves.
public struct AzureTestAccount {
  public let connectionString: String
  public let account: String
  public let key: String

  public static func require(fileID: String = #fileID) throws -> AzureTestAccount {
    AzureTestAccount(
      // The services file quotes it for bash (it holds semicolons); a reader that keeps the quotes still works.
      connectionString: try TestServices.require("CLIPLINE_TEST_AZURE_CONNECTION_STRING", fileID: fileID)
        .trimmingCharacters(in: CharacterSet(charactersIn: "'\"")),
      account: try TestServices.require("CLIPLINE_TEST_AZURE_ACCOUNT", fileID: fileID),
      key: try TestServices.require("CLIPLINE_TEST_AZURE_KEY", fileID: fileID))
  }

  /// A store with small blocks, so a few megabytes already go up as several blocks.
  public func store(_ configuration: AzureConfiguration? = nil) throws -> AzureBlobStore {
    var configuration = try configuration ?? AzureConfiguration(connectionString: connectionString)
    configuration.blockThreshold = 4 << 20
    configuration.blockSize = 4 << 20
    configuration.concurrency = 4
    configuration.retry = RetryPolicy(attempts: 2, baseDelay: 0.05, maximumDelay: 0.2)
    return AzureBlobStore(configuration: configuration)
  }

  /// A fresh container, so tests never see each other's blobs.
  public func makeContainer(_ label: String) throws -> String {
    let name = "\(label)-\(UInt32.random(in: 0...UInt32.max))"
    try store().createContainer(account: account, container: name)
    return name
  }
}
