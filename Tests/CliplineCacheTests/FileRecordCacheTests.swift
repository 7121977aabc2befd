import CliplineCache
import CliplineTestSupport
import Foundation
import XCTest

final class FileRecordCacheTests: XCTestCase {
  func testTheFileCacheExpires() throws {
    let directory = try ScratchDirectory("file-cache")
    let cache = FileRecordCache(directory: directory.path)
    try cache.write(key: "s2:cameras:discovered", value: Array("[1]".utf8), lifetime: 60)
    XCTAssertEqual(try cache.read(key: "s2:cameras:discovered"), Array("[1]".utf8))
    try cache.write(key: "s2:cameras:discovered", value: Array("[2]".utf8), lifetime: 0.05)
    Thread.sleep(forTimeInterval: 0.1)
    XCTAssertNil(try cache.read(key: "s2:cameras:discovered"))
    XCTAssertNil(try cache.read(key: "absent"))
  }
}
