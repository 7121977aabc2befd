import CliplineCrypto
import CliplineSystem
import Foundation

/// What a finished output file is: its size and SHA-256, computed while its bytes went to disk.
public struct WrittenFile: Sendable {
  public let bytes: Int64
  public let sha256: [UInt8]
  /// For a file sent while it was written: the object it makes, the file left as the muxer wrote it.
  var body: WrittenBody?
}

/// The file a muxer writes. The muxer's bytes go straight to the file, where the muxer puts them (it seeks back to
/// patch sizes and writes its index last). The final byte order is only known at the trailer, so `finish()` makes
/// one sequential pass that hashes the file in its final order and, for an MP4 whose index is to lead, moves the
/// index in front of the media in the same pass (MP4IndexMove): the media is read once from the page cache and
/// written back a little further on. No copy of the whole output is held in memory: a process that touches fresh
/// memory pays for every page of it (on a VM more than the copy costs), and the page cache holds the file anyway.
final class HashedOutputFile {
  let path: String
  private let descriptor: Int32
  private let movesIndexToFront: Bool
  private(set) var size: Int64 = 0
  /// The first error a callback met, for the FFmpeg call that reported only "I/O error".
  var failure: Error?
  /// Bytes read and written at a time by the finishing pass (its memory, with the index being moved).
  static let defaultPassBlock = 1 << 20
  private let passBlock: Int
  /// Where the file's parts go while it is written (`chunk --to`); the file is then left as written, and the object
  /// is its head, its moved index and its media (`WrittenBody`).
  private let upload: GrowingUpload?
  /// How far `upload` was told the file is written; nothing more once the trailer begins (it is not media).
  private var reported: Int64 = 0
  private var reporting = true

  /// - Parameters:
  ///   - movesIndexToFront: the output is an MP4 whose index is to lead (`+faststart`).
  ///   - passBlock: bytes per read and write of the finishing pass (tests make it smaller than the index).
  init(
    path: String, movesIndexToFront: Bool, passBlock: Int = HashedOutputFile.defaultPassBlock,
    upload: GrowingUpload? = nil
  ) throws {
    descriptor = try HashedOutputFile.create(path)
    self.path = path
    self.movesIndexToFront = movesIndexToFront
    self.passBlock = max(1, passBlock)
    self.upload = upload
  }

  /// Creates (truncates) the file now, so a path that cannot be written fails before any work is done.
  private static func create(_ path: String) throws -> Int32 {
    let descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw FileSystemError("create", path: path) }
    return descriptor
  }

  deinit { close(descriptor) }

  func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
    let end = offset + Int64(bytes.count)
    if let upload, max(offset, upload.rewritableBelow) < min(end, reported) {
      throw MediaError("\(path): the muxer went back to bytes \(offset)–\(end) after they were sent")
    }
    try HashedOutputFile.write(bytes, to: descriptor, at: offset, path: path)
    size = max(size, end)
    if reporting, let upload {
      upload.wrote(bytes, at: offset)
      if size > reported {
        try upload.written(upTo: size)
        reported = size
      }
    }
  }

  /// What the muxer writes from now on is its trailer (the index, a patched header), not media to send.
  func trailerBegins() { reporting = false }

  /// Copies bytes at `offset` into `buffer`; 0 at the end.
  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
    guard offset < size else { return 0 }
    let count = Int(min(Int64(buffer.count), size - offset))
    var done = 0
    while done < count {
      let read = try HashedOutputFile.onPath(path, "read") {
        try FileDescriptorIO.retryingInterrupts("pread") {
          pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
        }
      }
      guard read > 0 else { throw FileSystemError("read", path: path, errno: EIO) }
      done += read
    }
    return count
  }

  private func readBytes(_ offset: Int64, _ count: Int) throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    let read = try bytes.withUnsafeMutableBytes { try self.read(into: $0, at: offset) }
    return Array(bytes.prefix(read))
  }

  /// Puts the file in its final order and hashes it, in one pass; a file sent while written stays as it is.
  func finish() throws -> WrittenFile {
    if upload != nil { return try finishInPlace() }
    let digest = try Digest(.sha256)
    if movesIndexToFront, let move = try MP4IndexMove.plan(size: size, read: readBytes) {
      try hash(move.head, into: digest)
      move.index.withUnsafeBytes { digest.update($0) }
      try shift(move.media, by: Int64(move.index.count), hashingInto: digest)
      // The media has moved past it: the index takes its place (its old copy at the end is now media).
      try move.index.withUnsafeBytes { try write($0, at: move.head.upperBound) }
    } else {
      try hash(0..<size, into: digest)
    }
    return WrittenFile(bytes: size, sha256: digest.finish())
  }

  /// The object a file sent while written makes, hashed in its final order: the head and the moved index (in memory),
  /// then the media, read from the file where it lies.
  private func finishInPlace() throws -> WrittenFile {
    var prefix: [UInt8] = []
    var media = 0..<size
    if movesIndexToFront, let move = try MP4IndexMove.plan(size: size, read: readBytes) {
      prefix = try readBytes(move.head.lowerBound, Int(move.head.count)) + move.index
      media = move.media
    }
    let digest = try Digest(.sha256)
    digest.update(prefix)
    try hash(media, into: digest)
    let sha256 = digest.finish()
    let body = WrittenBody(path: path, prefix: prefix, range: media, sha256: sha256)
    return WrittenFile(bytes: body.byteCount, sha256: sha256, body: body)
  }

  /// Hashes the bytes of `range` as they are in the file.
  private func hash(_ range: Range<Int64>, into digest: Digest) throws {
    var block = [UInt8](repeating: 0, count: passBlock)
    var offset = range.lowerBound
    while offset < range.upperBound {
      let count = Int(min(Int64(block.count), range.upperBound - offset))
      try block.withUnsafeMutableBytes { buffer in
        _ = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<count]), at: offset)
        digest.update(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
      }
      offset += Int64(count)
    }
  }

  /// Moves the bytes of `range` `distance` bytes further into the file, front first, hashing them in that order.
  /// A byte is read before the write that lands on it: the reads run `distance` plus one block ahead of the writes.
  private func shift(_ range: Range<Int64>, by distance: Int64, hashingInto digest: Digest) throws {
    var pending: [UInt8] = []
    pending.reserveCapacity(Int(distance) + 2 * passBlock)
    var start = 0  // pending[start...] is read but not yet written
    var readTo = range.lowerBound
    var writeFrom = range.lowerBound
    while writeFrom < range.upperBound {
      let readAhead = min(range.upperBound, writeFrom + distance + Int64(passBlock))
      while readTo < readAhead {
        let count = Int(min(Int64(passBlock), readAhead - readTo))
        let before = pending.count
        pending.append(contentsOf: repeatElement(0, count: count))
        try pending.withUnsafeMutableBytes { buffer in
          _ = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[before..<(before + count)]), at: readTo)
        }
        readTo += Int64(count)
      }
      let count = min(passBlock, pending.count - start)
      try pending.withUnsafeBytes { buffer in
        let piece = UnsafeRawBufferPointer(rebasing: buffer[start..<(start + count)])
        digest.update(piece)
        try write(piece, at: writeFrom + distance)
      }
      start += count
      writeFrom += Int64(count)
      if start >= passBlock {
        pending.removeSubrange(0..<start)
        start = 0
      }
    }
  }

  /// Deletes the file (an abandoned output), and what was sent of it.
  func discard() {
    upload?.abort()
    unlink(path)
  }

  private static func write(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32, at offset: Int64, path: String)
    throws
  {
    var done = 0
    while done < bytes.count {
      done += try onPath(path, "write") {
        try FileDescriptorIO.retryingInterrupts("pwrite") {
          pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
        }
      }
    }
  }

  /// A failed call, as a sentence that names the file.
  private static func onPath<Result>(_ path: String, _ operation: String, _ body: () throws -> Result) throws -> Result
  {
    do {
      return try body()
    } catch let failure as SystemCallError {
      throw FileSystemError(operation, path: path, errno: failure.code)
    }
  }
}
