import CliplineSystem
import Foundation

extension SourceFetcher {
  /// The source named by `text` as a file still downloading into the work directory, or nil when it is local
  /// (read in place) or its downloader can only fetch it whole.
  public func growingFile(
    for text: String, in workDirectory: WorkDirectory, report: @escaping @Sendable (String) -> Void
  ) throws -> RunningDownload? {
    let location = try BlobLocation(parsing: text)
    let scheme: Scheme
    switch location {
    case .file: return nil
    case .http: scheme = .http
    case .s3: scheme = .s3
    case .azure: scheme = .azure
    }
    guard let downloader = downloaders[scheme] else { throw UnsupportedSource(location: location) }
    guard let streaming = downloader as? StreamingBlobDownloading else { return nil }
    return try streaming.startDownload(location, to: workDirectory.file("source-" + location.fileName), report: report)
  }
}
