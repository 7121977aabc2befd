import CliplineCrypto
import CliplineSystem

/// A muxer's output that leaves as it is written, every byte final: what a fragmented MP4 is (its index was written
/// first, empty, and each fragment carries its own), so a window can be uploaded while it is still arriving. Hashed
/// on the way; the muxer's I/O has no seek, so it never asks to write anywhere but the end.
final class ForwardOutput: OutputSink {
  let path: String
  private(set) var size: Int64 = 0
  var failure: Error?
  private let digest: Digest
  private let consume: (UnsafeRawBufferPointer) throws -> Void

  init(label: String, consume: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
    path = label
    digest = try Digest(.sha256)
    self.consume = consume
  }

  func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
    guard offset == size else { throw MediaError("\(path): the muxer tried to rewrite bytes already sent") }
    digest.update(bytes)
    try consume(bytes)
    size += Int64(bytes.count)
  }

  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
    throw MediaError("\(path): bytes already sent cannot be read back")
  }

  func finish() throws -> WrittenFile { WrittenFile(bytes: size, sha256: digest.finish()) }

  /// Whoever consumes the bytes abandons them (the upload is aborted, the file removed).
  func discard() {}
}

/// Bytes already whole in memory, read by libavformat as a source (a Matroska header to learn codec parameters from).
final class BytesInMemory: ArrivingBytes, @unchecked Sendable {  // immutable once made
  let name: String
  private let bytes: [UInt8]

  init(name: String, bytes: [UInt8]) {
    self.name = name
    self.bytes = bytes
  }

  func read(at offset: Int64, into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
    guard offset < Int64(bytes.count) else { return 0 }
    let copied = min(count, bytes.count - Int(offset))
    bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress! + Int(offset), byteCount: copied) }
    return copied
  }

  func waitForSize() throws -> Int64 { Int64(bytes.count) }
  var knownSize: Int64? { Int64(bytes.count) }
  var error: Error? { nil }
  var contiguousBytes: Int64 { Int64(bytes.count) }
  var farthestRead: Int64 { 0 }
}
