import CliplineSystem

/// Where `Chunker` gets its source video: the `chunk` tool hands it the standard fetcher of the blob stores,
/// a test may hand it anything that yields a local file.
public protocol SourceVideoFetching {
  /// The video named by `url` as a local file in (or, for `file://`, outside) the work directory.
  func localFile(for url: String, in workDirectory: WorkDirectory) throws -> LocalSource
}
