/// Where a muxer's bytes go through OutputIO: a file (HashedOutputFile) or a stream (ForwardOutput). The muxer writes
/// and reads back at offsets it chooses; `finish()` readies the final byte order once the trailer is written.
protocol OutputSink: AnyObject {
  /// The file's path, or a label for a stream (for messages).
  var path: String { get }
  var size: Int64 { get }
  /// The first error a callback met, for the FFmpeg call that reported only "I/O error".
  var failure: Error? { get set }
  func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws
  /// Copies bytes at `offset` into `buffer`; 0 at the end.
  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int
  func finish() throws -> WrittenFile
  /// An abandoned output: deleted, or left to whoever consumes its stream.
  func discard()
  /// The muxer is done with the media: what it writes now is its trailer.
  func trailerBegins()
}

extension OutputSink {
  func trailerBegins() {}
}

extension HashedOutputFile: OutputSink {}
