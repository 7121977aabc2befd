import CliplineSystem
import Foundation
import XCTest

final class FileDescriptorIOTests: XCTestCase {
  func testWritesEveryByteAndReadsThemBack() throws {
    var ends: [Int32] = [0, 0]
    XCTAssertEqual(pipe(&ends), 0)
    defer { close(ends[0]) }
    let bytes = [UInt8](repeating: 7, count: 40_000)
    let writeEnd = ends[1]
    let writer = Thread {
      try? bytes.withUnsafeBytes { try FileDescriptorIO.writeAll(writeEnd, $0) }
      close(writeEnd)
    }
    writer.start()
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = try buffer.withUnsafeMutableBytes { try FileDescriptorIO.read(ends[0], into: $0) }
      if count == 0 { break }
      received += buffer[0..<count]
    }
    XCTAssertEqual(received, bytes)
  }

  func testAFailedCallNamesItselfAndMapsItsErrno() {
    var buffer = [UInt8](repeating: 0, count: 16)
    XCTAssertThrowsError(try buffer.withUnsafeMutableBytes { try FileDescriptorIO.read(-1, into: $0) }) { error in
      XCTAssertEqual(error as? SystemCallError, SystemCallError(call: "read", code: EBADF))
      XCTAssertEqual((error as? SystemCallError)?.description, "read: Bad file descriptor")
    }
    XCTAssertEqual(ExitStatus.of(SystemCallError(call: "write", code: ENOSPC)), .temporaryFailure)
    XCTAssertEqual(ExitStatus.of(SystemCallError(call: "open", code: ENOENT)), .noInput)
    XCTAssertEqual(ExitStatus.of(SystemCallError(call: "open", code: EROFS)), .permissionDenied)
  }
}
