/// The upload of a body written to a file front to back, sent in parts while the file grows (CliplineMedia writes the
/// file, the blob stores send it): memory holds the parts in flight, not the body, and when the file is finished only
/// its tail and its first part are left to send.
public protocol GrowingUpload: AnyObject, Sendable {
  /// File bytes below this may still be rewritten (an MP4's header, patched at the end); none at or above it may be
  /// once they were reported `written`: the parts made of them may already be stored.
  var rewritableBelow: Int64 { get }
  /// The file's bytes before `offset` are written; parts wholly before it may go. Throws an earlier part's failure.
  func written(upTo offset: Int64) throws
  /// The writer wrote `bytes` at `offset` (before saying `written(upTo:)`): parts' checksums may be taken from them,
  /// so the parts are read from the file only to be sent.
  func wrote(_ bytes: UnsafeRawBufferPointer, at offset: Int64)
  /// Nothing is stored, and no part stays behind (a multipart upload is aborted).
  func abort()
}

extension GrowingUpload {
  public func wrote(_ bytes: UnsafeRawBufferPointer, at offset: Int64) {}
}

/// A finished body as the object to store: `prefix`, the bytes known only once the file was finished (an MP4's head
/// and the index moved in front of its media), then the file's bytes in `range`. `sha256` is the whole object's.
public struct WrittenBody: Sendable {
  public let path: String
  public let prefix: [UInt8]
  public let range: Range<Int64>
  public let sha256: [UInt8]

  public init(path: String, prefix: [UInt8], range: Range<Int64>, sha256: [UInt8]) {
    self.path = path
    self.prefix = prefix
    self.range = range
    self.sha256 = sha256
  }

  public var byteCount: Int64 { Int64(prefix.count) + Int64(range.count) }
}
