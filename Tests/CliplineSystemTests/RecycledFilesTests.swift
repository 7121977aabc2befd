import CliplineSystem
import Foundation
import XCTest

/// `RecycledFiles`: scratch files set aside instead of deleted, reused in place of a new one in the same directory.
final class RecycledFilesTests: XCTestCase {
  var directory: String!

  override func setUpWithError() throws {
    var template = Array("\(NSTemporaryDirectory())/clipline-recycled.XXXXXX".utf8CString)
    directory = String(cString: try XCTUnwrap(mkdtemp(&template)))
  }

  override func tearDown() { try? FileManager.default.removeItem(atPath: directory) }

  func path(_ name: String) -> String { directory + "/" + name }
  func entries() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted() }

  func inode(_ path: String) -> ino_t {
    var info = stat()
    return stat(path, &info) == 0 ? info.st_ino : 0
  }

  func testFilesAreKeptUpToTheLimitReusedInTheirDirectoryAndRemovedAtTheEnd() throws {
    let spares = RecycledFiles(limit: 2)
    for name in ["a", "b", "c"] {
      XCTAssertTrue(FileManager.default.createFile(atPath: path(name), contents: Data([1])))
    }
    let kept = inode(path("a"))
    for name in ["a", "b", "c"] { spares.setAside(path(name)) }
    XCTAssertEqual(entries().count, 2, "the third file is deleted: \(entries())")
    XCTAssertFalse(entries().contains { ["a", "b", "c"].contains($0) })

    try FileManager.default.createDirectory(atPath: path("other"), withIntermediateDirectories: false)
    spares.reuse(at: path("other/x"))
    XCTAssertFalse(FileManager.default.fileExists(atPath: path("other/x")), "spares stay in their own directory")

    spares.reuse(at: path("next"))
    XCTAssertEqual(inode(path("next")), kept, "the first spare is the file set aside first")
    XCTAssertEqual(entries().count, 3)

    spares.removeAll()
    XCTAssertEqual(entries(), ["next", "other"])
    spares.reuse(at: path("again"))
    XCTAssertFalse(FileManager.default.fileExists(atPath: path("again")))
  }
}
