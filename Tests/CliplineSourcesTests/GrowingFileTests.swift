import CliplineSources
import CliplineSystem
import Foundation
import XCTest

/// The tracker a reader waits on while a download writes, in any order.
final class GrowingFileTests: XCTestCase {
  func testRangesArrivingOutOfOrderMergeAndAReadGetsOnlyWhatIsThere() throws {
    let file = GrowingFile(path: "/dev/null")
    file.setSize(100)
    file.markComplete(40..<60)
    file.markComplete(0..<10)
    XCTAssertEqual(file.contiguousBytes, 10)
    XCTAssertEqual(try file.waitForBytes(at: 5, count: 50), 5, "only up to the first gap")
    XCTAssertEqual(try file.waitForBytes(at: 45, count: 50), 15)
    file.markComplete(10..<40)
    XCTAssertEqual(file.contiguousBytes, 60, "touching ranges merge")
    XCTAssertEqual(try file.waitForBytes(at: 0, count: 1_000), 60)
    XCTAssertEqual(try file.waitForBytes(at: 100, count: 10), 0, "the end of the file")
  }

  func testAReaderWaitsForItsByteAndAsksForItFirst() throws {
    let file = GrowingFile(path: "/dev/null")
    file.setSize(1_000)
    let asked = Asked()
    file.onWantedOffset { offset in
      asked.add(offset)
      file.markComplete(offset..<offset + 8)  // a download that fetches what is wanted
    }
    XCTAssertEqual(try file.waitForBytes(at: 900, count: 100), 8)
    XCTAssertEqual(asked.offsets, [900])
    XCTAssertEqual(file.farthestRead, 908, "the end of the farthest bytes read")
  }

  func testAWaitingReaderGetsTheDownloadsErrorAndTheSizeWaitsToo() {
    let file = GrowingFile(path: "/dev/null")
    let failed = expectation(description: "the waiting read failed")
    let sizeFailed = expectation(description: "the size wait failed")
    Thread.detachNewThread {
      do {
        _ = try file.waitForBytes(at: 0, count: 10)
      } catch {
        if error is DownloadCancelled { failed.fulfill() }
      }
    }
    Thread.detachNewThread {
      if (try? file.waitForSize()) == nil { sizeFailed.fulfill() }
    }
    file.fail(DownloadCancelled())
    wait(for: [failed, sizeFailed], timeout: 10)
  }

  func testFinishingWithoutAnnouncedSizeEndsTheFileAtItsLastByte() throws {
    let file = GrowingFile(path: "/dev/null")
    let read = expectation(description: "the read past the end returned")
    Thread.detachNewThread {
      XCTAssertEqual(try? file.waitForBytes(at: 20, count: 10), 0)
      read.fulfill()
    }
    file.markComplete(0..<20)
    file.finish()
    wait(for: [read], timeout: 10)
    XCTAssertEqual(try file.waitForSize(), 20)
  }
}

final class Asked: @unchecked Sendable {
  private let lock = NSLock()
  private var list: [Int64] = []
  func add(_ offset: Int64) { lock.withLock { list.append(offset) } }
  var offsets: [Int64] { lock.withLock { list } }
}
