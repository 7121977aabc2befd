import CliplineSystem
import Foundation
import XCTest

@testable import CliplineBlobStores

/// The aws-chunked body S3 checks against its trailer: frames, terminator and trailer exactly as announced, through a
/// queue smaller than the body, written and read in pieces of every size from two threads.
final class AWSChunkedBodyTests: XCTestCase {
  func expectedEncoding(_ data: [UInt8], frameSize: Int, trailer: String) -> [UInt8] {
    var out: [UInt8] = []
    var offset = 0
    while offset < data.count {
      let size = min(frameSize, data.count - offset)
      out += Array((String(size, radix: 16) + "\r\n").utf8) + data[offset..<(offset + size)] + [13, 10]
      offset += size
    }
    return out + Array(("0\r\nx-amz-checksum-sha256:\(trailer)\r\n\r\n").utf8)
  }

  /// Reads the whole body with reads of `readSize` bytes, while another thread writes `data` in `writeSize` pieces.
  func encode(_ data: [UInt8], frameSize: Int, capacity: Int, writeSize: Int, readSize: Int) throws -> [UInt8] {
    let body = AWSChunkedBody(decodedLength: Int64(data.count), frameSize: frameSize, capacity: capacity)
    let trailer = String(repeating: "A", count: 43) + "="
    let writer = Thread {
      var offset = 0
      while offset < data.count {
        let count = min(writeSize, data.count - offset)
        data.withUnsafeBytes { try? body.write(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) }
        offset += count
      }
      try? body.finish(sha256Base64: trailer)
    }
    writer.start()
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: readSize)
    while true {
      let count = try buffer.withUnsafeMutableBytes { try body.read(into: $0) }
      if count == 0 { break }
      out += buffer[..<count]
    }
    XCTAssertEqual(Int64(out.count), body.encodedLength)
    XCTAssertEqual(out, expectedEncoding(data, frameSize: frameSize, trailer: trailer))
    return out
  }

  func testFramesTerminatorAndTrailerAreExactlyAnnouncedWhateverThePieceSizes() throws {
    let data = (0..<100_003).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    for (capacity, writeSize, readSize) in [(4096, 1000, 777), (64 << 10, 65_536, 1 << 20), (333, 1, 4096)] {
      _ = try encode(data, frameSize: 8192, capacity: capacity, writeSize: writeSize, readSize: readSize)
    }
    // A one-byte ring: every byte waits for the reader.
    _ = try encode(Array(data[..<3000]), frameSize: 1000, capacity: 1, writeSize: 500, readSize: 3)
    _ = try encode([], frameSize: 8192, capacity: 16, writeSize: 1, readSize: 100)
    _ = try encode(Array(data[..<8192]), frameSize: 8192, capacity: 100, writeSize: 999, readSize: 10)
  }

  func testAFailureWakesTheReaderAndTheWriter() throws {
    let body = AWSChunkedBody(decodedLength: 10, frameSize: 4, capacity: 4)
    let stopped = StoppedBySignal("test")
    DispatchQueue.global().asyncAfter(deadline: .now() + 0.1) { body.fail(stopped) }
    var buffer = [UInt8](repeating: 0, count: 16)
    // The reader waits for the first frame, which never comes.
    XCTAssertThrowsError(try buffer.withUnsafeMutableBytes { try body.read(into: $0) }) {
      XCTAssertEqual($0 as? StoppedBySignal, stopped)
    }
    XCTAssertThrowsError(try [UInt8](repeating: 1, count: 8).withUnsafeBytes { try body.write($0) })
  }

  func testMoreOrFewerBytesThanAnnouncedAreRefused() throws {
    let body = AWSChunkedBody(decodedLength: 4, frameSize: 4, capacity: 8)
    XCTAssertThrowsError(try [UInt8](repeating: 1, count: 5).withUnsafeBytes { try body.write($0) }) {
      XCTAssertEqual(ExitStatus.of($0), .temporaryFailure)
    }
    try [UInt8](repeating: 1, count: 3).withUnsafeBytes { try body.write($0) }
    XCTAssertThrowsError(try body.finish(sha256Base64: "x"))
  }
}
