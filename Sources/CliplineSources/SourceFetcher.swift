import CliplineHTTP
import CliplineSystem
import Foundation

/// Fetches one kind of remote source (one URL scheme's): whole into a local file, or, where it can, as a download
/// read while it arrives.
public protocol SourceDownloading: Sendable {
  /// Downloads `url` to the file `path`, streamed (never held whole in memory).
  func download(_ url: String, to path: String) throws
  /// Starts downloading `url` on background threads, its bytes readable as they arrive (into `path`, or into
  /// memory); throws at once when the source is missing or unreachable; nil when this kind of source can only be
  /// fetched whole. `report` receives sentences for `--verbose` (how the download coped with the reader).
  func startStreamingDownload(_ url: String, to path: String, report: @escaping @Sendable (String) -> Void) throws
    -> RunningDownload?
}

extension SourceDownloading {
  public func startStreamingDownload(
    _ url: String, to path: String, report: @escaping @Sendable (String) -> Void
  ) throws -> RunningDownload? { nil }
}

/// Brings a source named by URL to its reader: a local path read in place, or the downloader of its scheme
/// (`http` built in; `s3` and `az` registered by the blob stores).
public struct SourceFetcher: Sendable {
  /// The schemes a source URL may have besides `file://` (https is read by the `http` downloader).
  public enum Scheme: String, Hashable, Sendable {
    case http, s3
    case azure = "az"
  }

  var downloaders: [Scheme: SourceDownloading]

  public init(downloaders: [Scheme: SourceDownloading] = [.http: HTTPDownloader()]) {
    self.downloaders = downloaders
  }

  public mutating func register(_ downloader: SourceDownloading, for scheme: Scheme) {
    downloaders[scheme] = downloader
  }

  /// A known scheme no downloader was registered for (78).
  public struct UnsupportedSource: ExitStatusProviding, CustomStringConvertible {
    public let url: String
    public var exitStatus: ExitStatus { .configuration }
    public var description: String { "no downloader is configured for \(SecretRedaction.url(url))" }
  }

  /// The source named by `url` as a local file: itself for a path or `file://`, else a copy downloaded into the
  /// work directory (removed by `discard()`).
  public func localFile(for url: String, in workDirectory: WorkDirectory) throws -> LocalSource {
    let remote: RemoteSource
    switch try SourceURL(parsing: url) {
    case .local(let path):
      guard FileManager.default.isReadableFile(atPath: path) else {
        throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
      }
      return LocalSource(path: path, isDownloadedCopy: false)
    case .remote(let source): remote = source
    }
    let destination = workDirectory.file("source-" + remote.fileName)
    do {
      try downloader(for: remote).download(url, to: destination)
    } catch {
      try? FileManager.default.removeItem(atPath: destination)
      throw error
    }
    return LocalSource(path: destination, isDownloadedCopy: true)
  }

  /// The source named by `url` as a download still running, read as its bytes arrive (into a file of the work
  /// directory, or a window of memory); nil when it is local (read in place) or can only be fetched whole.
  public func startStreamingDownload(
    of url: String, in workDirectory: WorkDirectory, report: @escaping @Sendable (String) -> Void
  ) throws -> RunningDownload? {
    guard case .remote(let remote) = try SourceURL(parsing: url) else { return nil }
    return try downloader(for: remote).startStreamingDownload(
      url, to: workDirectory.file("source-" + remote.fileName), report: report)
  }

  private func downloader(for source: RemoteSource) throws -> SourceDownloading {
    guard let downloader = downloaders[source.scheme] else { throw UnsupportedSource(url: source.url) }
    return downloader
  }
}

/// A source or storage URL as far as its scheme goes: a local path, or a remote object and the scheme that reads it.
/// What follows the scheme (an S3 bucket and key, an Azure container) is the reader's to check.
public enum SourceURL: Sendable {
  case local(path: String)
  case remote(RemoteSource)

  /// A text that is neither a path nor a URL of a known scheme (65).
  public struct Invalid: ExitStatusProviding, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var exitStatus: ExitStatus { .dataError }
    public var description: String { "\"\(SecretRedaction.url(text))\" is not a storage URL: \(reason)" }

    public init(text: String, reason: String) {
      self.text = text
      self.reason = reason
    }
  }

  /// `file:///abs/path` or a bare absolute path; `http(s)://`, `s3://`, `az://` anything. Paths are taken as written
  /// (never percent-decoded), so one key names the same object in every store.
  public init(parsing text: String) throws {
    if text.hasPrefix("/") {
      self = .local(path: text)
      return
    }
    guard let schemeEnd = text.range(of: "://") else {
      throw Invalid(text: text, reason: "expected s3://, az://, file:///, http(s):// or an absolute path")
    }
    let name = text[..<schemeEnd.lowerBound].lowercased()
    let rest = String(text[schemeEnd.upperBound...])
    if name == "file" {
      guard rest.hasPrefix("/") else { throw Invalid(text: text, reason: "file URLs take an absolute path") }
      self = .local(path: rest)
      return
    }
    guard let scheme = name == "https" ? .http : SourceFetcher.Scheme(rawValue: name) else {
      throw Invalid(text: text, reason: "unknown scheme \"\(name)\"")
    }
    self = .remote(RemoteSource(url: text, scheme: scheme, afterScheme: rest))
  }
}

public struct RemoteSource: Sendable {
  public let url: String
  public let scheme: SourceFetcher.Scheme
  /// What follows `scheme://`: an S3 bucket and key, an Azure account, container and blob, an http host and path.
  public let afterScheme: String

  /// The last component of the URL's path: what a downloaded copy is named.
  var fileName: String {
    let path = scheme == .http ? URLComponents(string: url)?.path ?? afterScheme : afterScheme
    let name = (path as NSString).lastPathComponent
    return name.isEmpty ? "source" : name
  }
}

/// `http(s)://` sources, streamed to disk with retries for what may pass.
public struct HTTPDownloader: SourceDownloading {
  public var retry: RetryPolicy

  public init(retry: RetryPolicy = RetryPolicy()) { self.retry = retry }

  public func download(_ url: String, to path: String) throws {
    let client = HTTPClient()
    try retry.run(isRetryable: isRetryableHTTPFailure) { _ in
      _ = try client.send(.download(url), to: .file(path: path)).checked()
    }
  }
}
