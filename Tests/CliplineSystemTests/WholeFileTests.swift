import CliplineSystem
import Foundation
import XCTest

/// `WholeFile`: every file a tool writes whole (contact-sheet's PNG, a health file, a metrics file, a cache entry)
/// replaces a regular file by rename and writes into anything else, which keeps what it is.
final class WholeFileTests: XCTestCase {
  var directory: String!

  override func setUpWithError() throws {
    var template = Array("\(NSTemporaryDirectory())/clipline-wholefile.XXXXXX".utf8CString)
    directory = String(cString: try XCTUnwrap(mkdtemp(&template)))
  }

  override func tearDown() { try? FileManager.default.removeItem(atPath: directory) }

  func path(_ name: String) -> String { directory + "/" + name }

  func type(_ path: String) -> mode_t {
    var info = stat()
    return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : 0
  }

  func inode(_ path: String) -> ino_t {
    var info = stat()
    return stat(path, &info) == 0 ? info.st_ino : 0
  }

  func testARegularFileIsReplacedByRenameAndANewOneCreated() throws {
    try WholeFile.write(Array("one".utf8), to: path("new"), permissions: 0o600)
    XCTAssertEqual(try String(contentsOfFile: path("new"), encoding: .utf8), "one")
    let before = inode(path("new"))
    try WholeFile.write(Array("two".utf8), to: path("new"))
    XCTAssertEqual(try String(contentsOfFile: path("new"), encoding: .utf8), "two")
    XCTAssertNotEqual(inode(path("new")), before, "a new inode: renamed over, never seen half written")
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["new"], "no temporary left")
    XCTAssertTrue(WholeFile.replacesByRename(path("new")))
    XCTAssertTrue(WholeFile.replacesByRename(path("absent")))
    XCTAssertFalse(WholeFile.replacesByRename("-"))
  }

  func testAFIFOAndALinkAreWrittenIntoAndKeepWhatTheyAre() throws {
    let fifo = path("fifo")
    XCTAssertEqual(mkfifo(fifo, 0o600), 0)
    XCTAssertFalse(WholeFile.replacesByRename(fifo))
    let received = Received()
    let reader = Thread { received.set(FileHandle(forReadingAtPath: fifo)?.readDataToEndOfFile()) }
    reader.start()
    try WholeFile.write(Array("through the fifo".utf8), to: fifo)
    received.wait()
    XCTAssertEqual(received.data.map { String(decoding: $0, as: UTF8.self) }, "through the fifo")
    XCTAssertEqual(type(fifo), S_IFIFO)

    try WholeFile.write(Array("target".utf8), to: path("target"))
    try FileManager.default.createSymbolicLink(atPath: path("link"), withDestinationPath: path("target"))
    XCTAssertFalse(WholeFile.replacesByRename(path("link")))
    try WholeFile.write(Array("via the link".utf8), to: path("link"))
    XCTAssertEqual(type(path("link")), S_IFLNK)
    XCTAssertEqual(try String(contentsOfFile: path("target"), encoding: .utf8), "via the link")
  }
}

/// What the FIFO's reader got, handed from its thread.
private final class Received: @unchecked Sendable {  // `data` is set before `done.signal()` and read after `wait()`
  private let done = DispatchSemaphore(value: 0)
  private(set) var data: Data?
  func set(_ data: Data?) {
    self.data = data
    done.signal()
  }
  func wait() { done.wait() }
}
