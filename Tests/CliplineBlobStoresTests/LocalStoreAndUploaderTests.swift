import CliplineBlobStores
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// The local store and the record uploader in-process, with in-memory sinks (no service needed).
final class LocalStoreAndUploaderTests: XCTestCase {
  var scratch: ScratchDirectory!

  override func setUpWithError() throws { scratch = try ScratchDirectory("local-store") }

  func testLocalStoreHasTheSameFieldsAsTheCloudStores() throws {
    let source = scratch.file("in.mp4")
    try writeRandomFile(source, bytes: 2_000_001)
    let store = LocalBlobStore()
    let location = BlobLocation.file(path: scratch.file("store/processed/1/chunk_001.mp4"))
    let stored = try store.put(
      .file(source), to: location, options: BlobPutOptions(expiresAt: Date(timeIntervalSince1970: 1_800_000_000)))
    XCTAssertEqual(stored.bytes, 2_000_001)
    XCTAssertEqual(stored.sha256, try sha256Hex(ofFile: source))
    XCTAssertEqual(stored.etag.count, 32, "the MD5, like a single-part S3 ETag")
    XCTAssertEqual(try store.head(location)?.expiresAt, Date(timeIntervalSince1970: 1_800_000_000))
    XCTAssertEqual(
      try store.presignedURL(for: location, method: .get, expires: 60), scratch.file("store/processed/1/chunk_001.mp4"))
    XCTAssertEqual(
      try store.list(prefix: .file(path: scratch.file("store/"))).map(\.location), [location], "no sidecars listed")
    let copy = scratch.file("copy.mp4")
    _ = try store.get(location, to: copy)
    XCTAssertEqual(try sha256Hex(ofFile: copy), stored.sha256)
    try store.delete(location)
    XCTAssertNil(try store.head(location))
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.file("store/processed/1")), [])
  }

  /// A reader polling the destination while it is rewritten sees the old file or the new one, never a part.
  func testLocalWritesAreAtomic() throws {
    let old = scratch.file("old.bin")
    let new = scratch.file("new.bin")
    try writeRandomFile(old, bytes: 1 << 20)
    try writeRandomFile(new, bytes: 24 << 20)
    let store = LocalBlobStore()
    let location = BlobLocation.file(path: scratch.file("out/target.bin"))
    _ = try store.put(.file(old), to: location, options: BlobPutOptions())
    let sizes = SizesSeen()
    let done = DispatchSemaphore(value: 0)
    let target = scratch.file("out/target.bin")
    Thread.detachNewThread {
      while done.wait(timeout: .now()) == .timedOut {
        var status = stat()
        if stat(target, &status) == 0 { sizes.add(Int64(status.st_size)) }
      }
    }
    for _ in 0..<3 {
      _ = try store.put(.file(new), to: location, options: BlobPutOptions())
      _ = try store.put(.file(old), to: location, options: BlobPutOptions())
    }
    done.signal()
    XCTAssertEqual(sizes.values.subtracting([1 << 20, 24 << 20]), [], "a partial file was visible")
    XCTAssertTrue(sizes.values.contains(1 << 20), "the reader saw the file at all")
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: scratch.file("out")).filter { $0.contains("partial") }, [])
  }

  func testUploaderThroughTheOrderedLoopWithInMemorySinks() throws {
    var input = ""
    for index in 1...6 {
      let path = scratch.file("chunk\(index).mp4")
      try writeRandomFile(path, bytes: index == 2 ? 3_000_000 : 1000 * index)
      input +=
        Record(["process_id": 9, "chunk_id": .integer(Int64(index)), "chunk_path": .string(path)]).jsonText + "\n"
    }
    input += #"{"process_id": 9, "chunk_id": 7, "chunk_path": "\#(scratch.file("missing.mp4"))"}"# + "\n"
    input += #"{"process_id": "..", "chunk_id": 8, "chunk_path": "x"}"# + "\n"
    let root = scratch.file("bucket")
    var uploader = RecordUploader(
      stores: BlobStoreSet(),
      destinations: [
        try UploadDestination(parsing: "file://\(root)/p/{process_id}/chunk_{chunk_id:03}.mp4=cloud_stream_path"),
        try UploadDestination(parsing: "file://\(root)/cache/{chunk_id}.mp4=cache_path"),
      ])
    uploader.removeSource = true
    let sink = MemorySink()
    let errors = MemorySink()
    let diagnostics = Diagnostics(tool: "blob-put") { text in try? errors.writeLine(Array(text.utf8)) }
    let writer = RecordWriter(sink: sink)
    XCTAssertThrowsError(
      try OrderedRecordLoop(reader: RecordReader(text: input), diagnostics: diagnostics, jobs: 4).run(
        { [uploader] record, _ in [try uploader.upload(record)] }, emit: { try writer.write($0) })
    ) { error in
      XCTAssertEqual(ExitStatus.of(error), .noInput, "the first failure (line 7, a missing file) sets the exit code")
    }
    XCTAssertEqual(sink.records.map { $0["chunk_id"] }, (1...6).map { JSONValue.integer(Int64($0)) })
    guard sink.records.count == 6 else { return XCTFail("six records expected: \(errors.lines)") }
    XCTAssertEqual(sink.records[1]["cloud_stream_path"], .string("file://\(root)/p/9/chunk_002.mp4"))
    XCTAssertEqual(sink.records[1]["chunk_bytes"], .integer(3_000_000))
    XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.file("chunk2.mp4")), "--remove-source")
    guard errors.lines.count == 2 else { return XCTFail("two errors expected: \(errors.lines)") }
    XCTAssertTrue(errors.lines[0].contains("(line 7)") && errors.lines[0].contains("missing.mp4"), errors.lines[0])
    XCTAssertTrue(errors.lines[1].contains("(line 8)") && errors.lines[1].contains("process_id"), errors.lines[1])
  }

  func testExpiredSweepOnTheLocalStore() throws {
    let source = scratch.file("in.bin")
    try writeRandomFile(source, bytes: 100)
    let store = LocalBlobStore()
    let past = BlobLocation.file(path: scratch.file("cache/temp/old.bin"))
    let future = BlobLocation.file(path: scratch.file("cache/temp/new.bin"))
    let forever = BlobLocation.file(path: scratch.file("cache/temp/keep.bin"))
    _ = try store.put(.file(source), to: past, options: BlobPutOptions(expiresAt: Date(timeIntervalSinceNow: -5)))
    _ = try store.put(.file(source), to: future, options: BlobPutOptions(expiresAt: Date(timeIntervalSinceNow: 3600)))
    _ = try store.put(.file(source), to: forever, options: BlobPutOptions())
    var removed: [String] = []
    try ExpiredBlobSweeper(stores: BlobStoreSet()).sweep(prefix: .file(path: scratch.file("cache/temp"))) {
      removed.append($0.url)
    }
    XCTAssertEqual(removed, [past.description])
    XCTAssertNil(try store.head(past))
    XCTAssertNotNil(try store.head(future))
    XCTAssertNotNil(try store.head(forever))
  }

  func testKeyPolicy() {
    for bad in ["..", "a/../b", "/etc/passwd", "./a", "a\\b", "a\u{0}b", "s3://other/x", ""] {
      XCTAssertThrowsError(try BlobKeyPolicy.checkFieldValue(bad, field: "f"), bad) {
        XCTAssertEqual(ExitStatus.of($0), .dataError)
      }
    }
    for good in ["processed/101/", "2026-02-26T14:30:00Z", "cam front", "a..b"] {
      XCTAssertNoThrow(try BlobKeyPolicy.checkFieldValue(good, field: "f"), good)
    }
    XCTAssertThrowsError(try BlobKeyPolicy.check(.s3(bucket: "Bad_Bucket", key: "k")))
    XCTAssertThrowsError(try BlobKeyPolicy.check(.s3(bucket: "bucket", key: "a//b")))
    XCTAssertNoThrow(try BlobKeyPolicy.check(.s3(bucket: "spectra-videos", key: "processed/101/chunk_001.mp4")))
  }

  func testDestinationParsing() throws {
    let destination = try UploadDestination(parsing: "s3://b/{process_id}/x.mp4=cloud_stream_path")
    XCTAssertEqual(destination.field, "cloud_stream_path")
    XCTAssertEqual(try UploadDestination(parsing: "s3://b/k").field, "url")
    XCTAssertThrowsError(try UploadDestination(parsing: "{scheme}://b/k"))
    XCTAssertThrowsError(try UploadDestination(parsing: "http://b/k"))
  }
}

final class SizesSeen: @unchecked Sendable {
  private let lock = NSLock()
  private var seen: Set<Int64> = []
  func add(_ size: Int64) { _ = lock.withLock { seen.insert(size) } }
  var values: Set<Int64> { lock.withLock { seen } }
}
