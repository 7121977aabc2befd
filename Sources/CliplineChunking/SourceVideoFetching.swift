import CliplineSystem

/// Where `Chunker` gets its source video: the `chunk` tool hands it the standard fetcher of the blob stores,
/// a test may hand it anything that yields a local file.
public protocol SourceVideoFetching {
  /// The video named by `url` as a local file in (or, for `file://`, outside) the work directory.
  func localFile(for url: String, in workDirectory: WorkDirectory) throws -> LocalSource
  /// The video named by `url` as a file still downloading into the work directory, so cutting starts before the
  /// download ends; nil when the source is local or can only be fetched whole (then `localFile` is used).
  /// `report` receives sentences for `--verbose`.
  func growingFile(for url: String, in workDirectory: WorkDirectory, report: @escaping @Sendable (String) -> Void)
    throws -> RunningDownload?
}

extension SourceVideoFetching {
  public func growingFile(
    for url: String, in workDirectory: WorkDirectory, report: @escaping @Sendable (String) -> Void
  ) throws -> RunningDownload? { nil }
}
