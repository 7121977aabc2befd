import CliplineHTTP
import CliplineRecords
import CliplineSystem
import Foundation

/// Downloads one kind of location to a local file, streamed (never held whole in memory).
public protocol BlobDownloading {
  func download(_ location: BlobLocation, to path: String) throws
}

/// Brings a source named by URL into the work directory, through the downloader for its scheme.
public struct SourceFetcher {
  public enum Scheme: Hashable, Sendable { case http, s3, azure }

  var downloaders: [Scheme: BlobDownloading]

  public init(downloaders: [Scheme: BlobDownloading] = [.http: HTTPDownloader()]) {
    self.downloaders = downloaders
  }

  public mutating func register(_ downloader: BlobDownloading, for scheme: Scheme) {
    downloaders[scheme] = downloader
  }

  public struct UnsupportedSource: ExitStatusProviding, CustomStringConvertible {
    public let location: BlobLocation
    public var exitStatus: ExitStatus { .configuration }
    public var description: String { "no downloader is configured for \(location)" }
  }

  public func localFile(for text: String, in workDirectory: WorkDirectory) throws -> LocalSource {
    let location = try BlobLocation(parsing: text)
    let scheme: Scheme
    switch location {
    case .file(let path):
      guard FileManager.default.isReadableFile(atPath: path) else {
        throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
      }
      return LocalSource(path: path, isDownloadedCopy: false)
    case .http: scheme = .http
    case .s3: scheme = .s3
    case .azure: scheme = .azure
    }
    guard let downloader = downloaders[scheme] else { throw UnsupportedSource(location: location) }
    let destination = workDirectory.file("source-" + location.fileName)
    do {
      try downloader.download(location, to: destination)
    } catch {
      try? FileManager.default.removeItem(atPath: destination)
      throw error
    }
    return LocalSource(path: destination, isDownloadedCopy: true)
  }
}

/// `http(s)://` sources, streamed to disk with retries for what may pass.
public struct HTTPDownloader: BlobDownloading {
  public var retry: RetryPolicy

  public init(retry: RetryPolicy = RetryPolicy()) { self.retry = retry }

  public func download(_ location: BlobLocation, to path: String) throws {
    guard case .http(let url) = location else { throw SourceFetcher.UnsupportedSource(location: location) }
    let client = HTTPClient()
    try retry.run(isRetryable: isRetryableHTTPFailure) { _ in
      _ = try client.send(HTTPRequest(url: url), to: .file(path: path)).checked()
    }
  }
}

extension SourceFetcher {
  /// Every downloader this build knows, configured from the environment (AWS and Azure settings).
  public static func standard() -> SourceFetcher {
    standard(stores: .standard())  // http(s) plus s3:// and az:// through the blob stores (BlobStoreSet.swift)
  }
}
