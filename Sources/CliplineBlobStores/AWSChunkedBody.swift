import CliplineHTTP
import CliplineSystem
import Foundation

/// The body of an S3 PUT that is sent while it is still arriving (`x-amz-content-sha256:
/// STREAMING-UNSIGNED-PAYLOAD-TRAILER`, `Content-Encoding: aws-chunked`): the bytes in frames of `frameSize`
/// (`hex-size CRLF data CRLF`, the last one shorter), then `0 CRLF`, the trailer `x-amz-checksum-sha256:…` whose
/// value is known only at the end, and `CRLF`. The server checks the trailer against what it received, so the
/// upload is verified without the digest being known when it starts.
///
/// A bounded pipe between two threads: the writer (the download) waits while `capacity` bytes are queued, the
/// reader (libcurl's read callback) waits for a whole frame, or the end. Either side failing wakes the other.
final class AWSChunkedBody: HTTPBodySource, @unchecked Sendable {  // `condition` guards every `var`
  static let trailerName = "x-amz-checksum-sha256"
  let frameSize: Int
  let decodedLength: Int64
  private let capacity: Int
  private let condition = NSCondition()
  private var queued: [[UInt8]] = []
  private var queuedBytes = 0
  private var headOffset = 0
  private var written: Int64 = 0
  private var framed: Int64 = 0
  private var trailer: String?
  private var failure: Error?
  /// Encoded bytes made but not yet handed to libcurl, and how far into them it has read.
  private var staged: [UInt8] = []
  private var stagedOffset = 0
  private var ended = false

  init(decodedLength: Int64, frameSize: Int = 256 << 10, capacity: Int = 8 << 20) {
    self.decodedLength = decodedLength
    self.frameSize = frameSize
    self.capacity = max(capacity, frameSize)
  }

  /// What goes in Content-Length: the frames, the last frame, the terminator and the trailer, all of fixed size.
  var encodedLength: Int64 {
    func frame(_ bytes: Int64) -> Int64 { Int64(String(bytes, radix: 16).utf8.count) + 2 + bytes + 2 }
    let full = decodedLength / Int64(frameSize)
    let rest = decodedLength % Int64(frameSize)
    let checksum = Int64(Self.trailerName.utf8.count + 1 + 44 + 2)
    return full * frame(Int64(frameSize)) + (rest > 0 ? frame(rest) : 0) + 3 + checksum + 2
  }

  /// The next bytes of the decoded body; waits while the reader is `capacity` behind.
  func write(_ bytes: UnsafeRawBufferPointer) throws {
    try condition.withLock {
      while queuedBytes >= capacity && failure == nil { condition.wait() }
      if let failure { throw failure }
      guard written + Int64(bytes.count) <= decodedLength else {
        throw BodyLengthMismatch(expected: decodedLength, received: written + Int64(bytes.count))
      }
      queued.append(Array(bytes))
      queuedBytes += bytes.count
      written += Int64(bytes.count)
      condition.broadcast()
    }
  }

  /// Every byte was written; `sha256` (base64) becomes the trailer.
  func finish(sha256Base64: String) throws {
    try condition.withLock {
      guard written == decodedLength else {
        throw BodyLengthMismatch(expected: decodedLength, received: written)
      }
      trailer = "\(Self.trailerName):\(sha256Base64)\r\n"
      condition.broadcast()
    }
  }

  /// Stops both sides: the writer's next `write` and the reader's next `read` throw `error`.
  func fail(_ error: Error) {
    condition.withLock {
      if failure == nil { failure = error }
      condition.broadcast()
    }
  }

  func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    try condition.withLock {
      while stagedOffset == staged.count {
        if ended { return 0 }
        try stageNext()
      }
      let count = min(buffer.count, staged.count - stagedOffset)
      staged.withUnsafeBytes { raw in
        buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[stagedOffset..<(stagedOffset + count)]))
      }
      stagedOffset += count
      return count
    }
  }

  /// Waits for the next whole frame (or the end) and encodes it into `staged`. Called with the lock held.
  private func stageNext() throws {
    let remaining = decodedLength - framed
    let size = Int(min(Int64(frameSize), remaining))
    while failure == nil && queuedBytes < size { condition.wait() }
    if let failure { throw failure }
    staged.removeAll(keepingCapacity: true)
    stagedOffset = 0
    if size > 0 {
      staged += Array((String(size, radix: 16) + "\r\n").utf8)
      var needed = size
      while needed > 0 {
        let head = queued[0]
        let take = min(needed, head.count - headOffset)
        staged += head[headOffset..<(headOffset + take)]
        headOffset += take
        needed -= take
        if headOffset == head.count {
          queued.removeFirst()
          headOffset = 0
        }
      }
      staged += [13, 10]
      queuedBytes -= size
      framed += Int64(size)
      condition.broadcast()
      return
    }
    while failure == nil && trailer == nil { condition.wait() }
    if let failure { throw failure }
    staged += Array(("0\r\n" + (trailer ?? "") + "\r\n").utf8)
    ended = true
  }
}

/// The body did not have the length announced for it (a download cut short, or longer than it said).
struct BodyLengthMismatch: ExitStatusProviding, CustomStringConvertible {
  let expected: Int64
  let received: Int64
  var exitStatus: ExitStatus { .temporaryFailure }
  var description: String { "the body announced \(expected) bytes but \(received) arrived" }
}
