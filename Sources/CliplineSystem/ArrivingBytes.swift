/// A source whose bytes are still arriving while a reader goes through them: a file a download writes
/// (`GrowingFile`), or a window of memory that ranged GETs fill (`PieceWindow`). A read waits for the bytes it
/// needs, never polls, and throws the download's error when they cannot come.
public protocol ArrivingBytes: AnyObject, Sendable {
  /// What error messages call the source (a path or a URL without secrets).
  var name: String { get }
  /// Checks, before the first read, that the source can be read at all (a file that exists).
  func openForReading() throws
  /// Copies up to `count` bytes at `offset` into `buffer`, waiting until at least one has arrived; returns how
  /// many were copied, 0 at the end of the source.
  func read(at offset: Int64, into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int
  /// The total size, waiting for it if the download has not announced it yet.
  func waitForSize() throws -> Int64
  /// The total size, if known already.
  var knownSize: Int64? { get }
  /// The download's error, once it failed.
  var error: Error? { get }
  /// Bytes from the start that have all arrived (for `--verbose`).
  var contiguousBytes: Int64 { get }
  /// The end of the farthest bytes a reader has read: near the end of the source right after opening, the demuxer
  /// went there first (an index at the end).
  var farthestRead: Int64 { get }
}

extension ArrivingBytes {
  public func openForReading() throws {}
}
