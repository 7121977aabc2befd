/// Bytes held in memory until whoever sends them on releases them: a segment cut into memory on its way to storage.
/// The pieces are the bytes in their final order as they lie (a segment's head, moved index and media), not copied
/// together; `sha256` is theirs. CliplineMedia makes them, the blob stores' uploads send them.
public protocol HeldBytes: AnyObject, Sendable {
  var byteCount: Int64 { get }
  var sha256: [UInt8] { get }
  /// The bytes as pieces, valid during `body` and until `release()`.
  func withPieces<Result>(_ body: ([UnsafeRawBufferPointer]) throws -> Result) rethrows -> Result
  /// The memory goes back for the next segment; the pieces are no longer valid.
  func release()
}
