import CliplineBlobStores
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// `blob-get -o`: `-` is stdout, as in curl and the aws CLI; a destination that is not a regular file (a FIFO, a
/// device, a symbolic link) is written to, never renamed over, and keeps what it is. Every kind is tried from S3 and
/// from a file:// store (the two download paths). The device is a twin of /dev/null made in a scratch directory, and
/// the link points into it too: a failure here must never replace a node other processes use.
final class BlobGetOutputTests: XCTestCase {
  var server: S3TestServer!
  var scratch: ScratchDirectory!

  override func setUpWithError() throws {
    server = try S3TestServer.require()
    scratch = try ScratchDirectory("blob-get-output")
  }

  func blobGet(_ url: String, _ output: String) throws -> ToolResult {
    try ToolInvocation.run(
      "blob-get", [url, "-o", output], environment: server.toolEnvironment,
      removingEnvironment: S3TestServer.unrelatedVariables)
  }

  /// The same object in S3 and in a file:// store.
  func sources() throws -> (urls: [String], bytes: Data) {
    let file = scratch.file("object.bin")
    try writeRandomFile(file, bytes: 300_000)
    let bucket = try server.makeBucket("get-output")
    _ = try server.store().put(.file(file), to: .s3(bucket: bucket, key: "o.bin"), options: BlobPutOptions())
    let local = "file://\(scratch.file("store"))/o.bin"
    _ = try LocalBlobStore().put(.file(file), to: try BlobLocation(parsing: local), options: BlobPutOptions())
    return (["s3://\(bucket)/o.bin", local], try Data(contentsOf: URL(fileURLWithPath: file)))
  }

  func fileType(_ path: String) -> mode_t {
    var info = stat()
    return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : 0
  }

  func testDashIsStdoutWithNoRecord() throws {
    let (urls, _) = try sources()
    for url in urls {
      // The object's bytes, and nothing else, reach the pipe; blob-get's own status comes back as bash's.
      let piped = try ToolInvocation.runProcess(
        "/bin/bash",
        ["-c", "\"$0\" \"$1\" -o - | sha256sum; exit ${PIPESTATUS[0]}", ToolInvocation.path(of: "blob-get"), url],
        environment: server.toolEnvironment, removingEnvironment: S3TestServer.unrelatedVariables)
      XCTAssertEqual(piped.status, 0, "\(url): \(piped.stderr)")
      XCTAssertEqual(
        piped.stdout.prefix(64), Substring(try sha256Hex(ofFile: scratch.file("object.bin"))), "\(url): \(piped.stderr)"
      )
    }
  }

  func testAFIFOIsWrittenToAndStaysAFIFO() throws {
    let (urls, bytes) = try sources()
    for (index, url) in urls.enumerated() {
      let fifo = scratch.file("fifo-\(index)")
      XCTAssertEqual(mkfifo(fifo, 0o600), 0)
      let received = scratch.file("received-\(index)")
      let reader = Process()
      reader.executableURL = URL(fileURLWithPath: "/bin/bash")
      reader.arguments = ["-c", "exec cat \"$0\" > \"$1\"", fifo, received]
      try reader.run()
      let result = try blobGet(url, fifo)
      // Renamed over, the FIFO's reader would wait forever for a writer.
      if fileType(fifo) != S_IFIFO { reader.terminate() }
      reader.waitUntilExit()
      XCTAssertEqual(result.status, 0, "\(url): \(result.stderr)")
      XCTAssertEqual(try result.records().first?["path"], .string(fifo))
      XCTAssertEqual(fileType(fifo), S_IFIFO, "\(url): still a FIFO")
      XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: received)), bytes, url)
    }
  }

  func testADeviceAndALinkKeepWhatTheyAre() throws {
    let (urls, bytes) = try sources()
    for (index, url) in urls.enumerated() {
      let device = scratch.file("null-\(index)")
      XCTAssertEqual(mknod(device, S_IFCHR | 0o666, dev_t((1 << 8) | 3)), 0, "mknod (the tests run as root)")
      let written = try blobGet(url, device)
      XCTAssertEqual(written.status, 0, "\(url): \(written.stderr)")
      XCTAssertEqual(fileType(device), S_IFCHR, "\(url): still a character device")

      let target = scratch.file("target-\(index)")
      try Data("old".utf8).write(to: URL(fileURLWithPath: target))
      let link = scratch.file("link-\(index)")
      try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
      let linked = try blobGet(url, link)
      XCTAssertEqual(linked.status, 0, "\(url): \(linked.stderr)")
      XCTAssertEqual(fileType(link), S_IFLNK, "\(url): still a link")
      XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: target)), bytes, "\(url): written through the link")
    }
  }
}
