import CliplineCrypto
import CliplineRecords
import CliplineSystem
import Foundation

/// Who we are to Azure Blob Storage and where it is: a connection string, an account name with its key
/// (SharedKey), or a SAS token; the blob endpoint defaults to `https://<account>.blob.core.windows.net`.
public struct AzureConfiguration: Sendable {
  public enum Credential: Sendable {
    case sharedKey(account: String, key: [UInt8])
    /// A SAS token (`sv=…&sig=…`), appended to every request.
    case sas(String)
    case none
  }

  public var credential: Credential
  /// The account the credential belongs to (and the one az:// URLs must name).
  public var accountName: String?
  /// An explicit blob endpoint (connection string `BlobEndpoint`, `AZURE_STORAGE_BLOB_ENDPOINT`); may carry a path
  /// (`http://127.0.0.1:10000/devaccount`, emulator style).
  public var blobEndpoint: String?
  public var endpointSuffix = "core.windows.net"
  public var defaultProtocol = "https"
  /// Files at least this large go up as blocks in parallel (Put Block + Put Block List).
  public var blockThreshold: Int64 = 16 << 20
  public var blockSize: Int64 = 8 << 20
  public var concurrency = 8
  public var retry = RetryPolicy(attempts: 5, baseDelay: 0.25, maximumDelay: 8)
  /// The REST API version we speak (blob index tags need 2019-12-12 or later).
  public static let apiVersion = "2021-08-06"

  public init(credential: Credential, accountName: String?, blobEndpoint: String? = nil) {
    self.credential = credential
    self.accountName = accountName
    self.blobEndpoint = blobEndpoint.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
  }

  public struct InvalidConfiguration: ExitStatusProviding, CustomStringConvertible {
    public let reason: String
    public var exitStatus: ExitStatus { .configuration }
    public var description: String { "Azure storage configuration: \(reason)" }
  }

  /// Flags, then `AZURE_STORAGE_CONNECTION_STRING`, `AZURE_STORAGE_ACCOUNT` + `AZURE_STORAGE_KEY`,
  /// `AZURE_STORAGE_SAS_TOKEN`, `AZURE_STORAGE_BLOB_ENDPOINT`. Nothing set gives anonymous access (public blobs).
  public static func standard(
    connectionString: String? = nil, account: String? = nil, key: String? = nil, sasToken: String? = nil,
    endpoint: String? = nil
  ) -> AzureConfiguration {
    if let text = Settings.resolve(flag: connectionString, environment: "AZURE_STORAGE_CONNECTION_STRING"),
      let parsed = try? AzureConfiguration(connectionString: text)
    {
      return parsed
    }
    let accountName = Settings.resolve(flag: account, environment: "AZURE_STORAGE_ACCOUNT")
    let blobEndpoint = Settings.resolve(flag: endpoint, environment: "AZURE_STORAGE_BLOB_ENDPOINT")
    if let accountName,
      let keyText = Settings.resolve(flag: key, environment: "AZURE_STORAGE_KEY", "AZURE_STORAGE_ACCESS_KEY"),
      let keyBytes = Data(base64Encoded: keyText)
    {
      return AzureConfiguration(
        credential: .sharedKey(account: accountName, key: Array(keyBytes)), accountName: accountName,
        blobEndpoint: blobEndpoint)
    }
    if let sas = Settings.resolve(flag: sasToken, environment: "AZURE_STORAGE_SAS_TOKEN") {
      return AzureConfiguration(
        credential: .sas(Self.trimmedSAS(sas)), accountName: accountName, blobEndpoint: blobEndpoint)
    }
    return AzureConfiguration(credential: .none, accountName: accountName, blobEndpoint: blobEndpoint)
  }

  /// `DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…;EndpointSuffix=…` or with `BlobEndpoint=` and
  /// `SharedAccessSignature=`.
  public init(connectionString: String) throws {
    var values: [String: String] = [:]
    for part in connectionString.split(separator: ";") where !part.trimmingCharacters(in: .whitespaces).isEmpty {
      guard let equals = part.firstIndex(of: "=") else {
        throw InvalidConfiguration(reason: "the connection string has a part without \"=\"")
      }
      values[part[..<equals].trimmingCharacters(in: .whitespaces).lowercased()] = String(
        part[part.index(after: equals)...])
    }
    let account = values["accountname"]
    let credential: Credential
    if let keyText = values["accountkey"] {
      guard let account, let key = Data(base64Encoded: keyText) else {
        throw InvalidConfiguration(reason: "AccountKey needs AccountName and must be base64")
      }
      credential = .sharedKey(account: account, key: Array(key))
    } else if let sas = values["sharedaccesssignature"] {
      credential = .sas(Self.trimmedSAS(sas))
    } else {
      credential = .none
    }
    self.init(credential: credential, accountName: account, blobEndpoint: values["blobendpoint"])
    if let suffix = values["endpointsuffix"] { endpointSuffix = suffix }
    if let scheme = values["defaultendpointsprotocol"] { defaultProtocol = scheme }
  }

  static func trimmedSAS(_ text: String) -> String { text.hasPrefix("?") ? String(text.dropFirst()) : text }

  /// The account's blob service URL.
  func serviceURL(account: String) -> String {
    if let blobEndpoint, accountName == nil || accountName == account { return blobEndpoint }
    return "\(defaultProtocol)://\(account).blob.\(endpointSuffix)"
  }

  /// `<service>/<container>/<blob>` with the blob name encoded once (slashes kept).
  public func url(account: String, container: String, blob: String?, query: String? = nil) -> String {
    var url = serviceURL(account: account) + "/" + container
    if let blob { url += "/" + HTTPEncoding.path(blob) }
    if let query { url += "?" + query }
    return url
  }
}
