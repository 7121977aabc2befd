import CliplineBlobStores
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// The file:// store keeps bytes and their recorded SHA-256 as one unit (an extended attribute of the file, set
/// before the rename), checks them on every read, and takes keys as written, like S3 and Azure.
final class LocalStoreIntegrityTests: XCTestCase {
  var scratch: ScratchDirectory!

  override func setUpWithError() throws { scratch = try ScratchDirectory("local-integrity") }

  func testATamperedObjectIsRefusedOnReadAndLeavesNoFile() throws {
    let source = scratch.file("in.bin")
    try writeRandomFile(source, bytes: 300_000)
    let stored = scratch.file("store/a.bin")
    let store = LocalBlobStore()
    _ = try store.put(.file(source), to: .file(path: stored), options: BlobPutOptions())
    // Same size, one byte changed, written in place (the attribute stays).
    let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: stored))
    try handle.seek(toOffset: 1000)
    let original = try XCTUnwrap(try handle.read(upToCount: 1)).first!
    try handle.seek(toOffset: 1000)
    try handle.write(contentsOf: Data([original ^ 0xFF]))
    try handle.close()

    let output = scratch.file("out/a.bin")
    XCTAssertThrowsError(try store.get(.file(path: stored), to: output)) { error in
      XCTAssertEqual(ExitStatus.of(error), .dataError, "\(error)")
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: output))

    let tool = try ToolInvocation.run("blob-get", ["file://" + stored, "--output", output])
    XCTAssertEqual(tool.status, 65, tool.stderr)
    XCTAssertEqual(tool.stdout, "")
    XCTAssertEqual(tool.stderr.split(separator: "\n").count, 1, tool.stderr)
    XCTAssertTrue(tool.stderr.contains("integrity check failed"), tool.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: output), "no output file is left")
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: scratch.file("out")), [], "nor a partial one")

    // Untouched, blob-get reports the SHA-256 of the bytes it wrote.
    _ = try store.put(.file(source), to: .file(path: stored), options: BlobPutOptions())
    let good = try ToolInvocation.run("blob-get", ["file://" + stored, "--output", output])
    XCTAssertEqual(good.status, 0, good.stderr)
    XCTAssertEqual(try good.records().first?["sha256"], .string(try sha256Hex(ofFile: output)))
    XCTAssertEqual(try sha256Hex(ofFile: output), try sha256Hex(ofFile: source))
  }

  /// Redelivery makes several writers of one key real: whatever wins, the data matches its recorded hash.
  func testConcurrentWritersLeaveDataMatchingItsRecordedHash() throws {
    let writers = 4
    var sources: [String] = []
    for index in 0..<writers {
      let path = scratch.file("writer\(index).bin")
      try writeRandomFile(path, bytes: 200_000 + 150_000 * index)
      sources.append(path)
    }
    let location = BlobLocation.file(path: scratch.file("store/shared.bin"))
    let store = LocalBlobStore()
    for round in 0..<30 {
      let errors = ParallelWork.run(count: writers, width: writers) { [sources] index in
        _ = try store.put(.file(sources[index]), to: location, options: BlobPutOptions(tags: ["writer": String(index)]))
      }
      XCTAssertEqual(errors.compactMap { $0 }.count, 0, "round \(round): \(errors)")
      let info = try XCTUnwrap(try store.head(location))
      XCTAssertEqual(info.sha256, try sha256Hex(ofFile: scratch.file("store/shared.bin")), "round \(round)")
      let copy = scratch.file("copy.bin")
      XCTAssertNoThrow(try store.get(location, to: copy), "round \(round)")
    }
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: scratch.file("store")), ["shared.bin"],
      "no sidecar and no partial file")
  }

  func testKeysMeanTheSameInEveryStore() throws {
    XCTAssertEqual(try BlobLocation(parsing: "file:///data/cam%201/a%2Fb.mp4"), .file(path: "/data/cam%201/a%2Fb.mp4"))
    XCTAssertEqual(
      try BlobLocation(parsing: "s3://bucket/cam%201/a%2Fb.mp4"), .s3(bucket: "bucket", key: "cam%201/a%2Fb.mp4"))
    XCTAssertEqual(
      try BlobLocation(parsing: "az://acct/videos/cam%201/a%2Fb.mp4"),
      .azure(account: "acct", container: "videos", blob: "cam%201/a%2Fb.mp4"))
    let text = "file://" + scratch.file("store/cam%201.mp4")
    XCTAssertEqual(try BlobLocation(parsing: text).description, text, "the URL round-trips unchanged")

    let source = scratch.file("in.bin")
    try writeRandomFile(source, bytes: 10)
    _ = try LocalBlobStore().put(.file(source), to: try BlobLocation(parsing: text), options: BlobPutOptions())
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.file("store")), ["cam%201.mp4"])
  }

  func testAWrongKnownDigestIsRefusedAndNothingIsStored() throws {
    let source = scratch.file("in.bin")
    try writeRandomFile(source, bytes: 5000)
    let stored = scratch.file("store/a.bin")
    let right = try FileDigests.of(source, md5: false)
    let wrong = FileDigests(sha256: Array(right.sha256.reversed()), bytes: 5000)
    XCTAssertThrowsError(
      try LocalBlobStore().put(.file(source), to: .file(path: stored), options: BlobPutOptions(knownDigests: wrong))
    ) { XCTAssertEqual(ExitStatus.of($0), .dataError) }
    XCTAssertFalse(FileManager.default.fileExists(atPath: stored))
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.file("store")), [])
  }
}
