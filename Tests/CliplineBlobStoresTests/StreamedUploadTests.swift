import CliplineBlobStores
import CliplineCrypto
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// `BlobStore.openUpload`: a body written piece by piece, as a download delivers it, arrives whole (one request
/// when small, parts as they fill when large) or, aborted midway, not at all — on S3, Azure and local files.
final class StreamedUploadTests: XCTestCase {
  var scratch: ScratchDirectory!

  override func setUpWithError() throws { scratch = try ScratchDirectory("streamed") }

  /// Random bytes, fed in 100 KB pieces (an odd size, so parts never line up with the pieces).
  func body(_ size: Int) -> [UInt8] { (0..<size).map { _ in UInt8.random(in: 0...255) } }

  func feed(_ bytes: [UInt8], into stream: BlobUploadStream, upTo limit: Int? = nil) throws {
    var offset = 0
    let end = limit ?? bytes.count
    while offset < end {
      let next = min(end, offset + 100_000)
      try bytes[offset..<next].withUnsafeBytes { try stream.write($0) }
      offset = next
    }
  }

  func assertRoundTrip(
    _ store: BlobStore, _ location: BlobLocation, size: Int, file: StaticString = #filePath,
    line: UInt = #line
  ) throws -> StoredBlob {
    let bytes = body(size)
    let stream = try store.openUpload(to: location, options: BlobPutOptions(contentType: "video/mp4"))
    try feed(bytes, into: stream)
    let stored = try stream.finish()
    XCTAssertEqual(stored.bytes, Int64(size), file: file, line: line)
    XCTAssertEqual(stored.sha256, Digest.sha256(bytes).hexString, file: file, line: line)
    let copy = scratch.file("copy-\(UUID().uuidString)")
    _ = try store.get(location, to: copy)
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: copy)), Data(bytes), file: file, line: line)
    XCTAssertEqual(try store.head(location)?.sha256, stored.sha256, file: file, line: line)
    return stored
  }

  func testS3SmallIsOnePutLargeIsMultipartAndAnAbortLeavesNothing() throws {
    let server = try S3TestServer.require()
    let bucket = try server.makeBucket("streamed")
    let store = server.store(partSize: 5 << 20)
    let small = try assertRoundTrip(store, .s3(bucket: bucket, key: "small.mp4"), size: 300_000)
    XCTAssertFalse(small.etag.contains("-"), "one PutObject")
    let large = try assertRoundTrip(store, .s3(bucket: bucket, key: "large.mp4"), size: 12 << 20)
    XCTAssertTrue(large.etag.hasSuffix("-3"), large.etag)

    let stream = try store.openUpload(to: .s3(bucket: bucket, key: "aborted.mp4"), options: BlobPutOptions())
    try feed(body(12 << 20), into: stream, upTo: 11 << 20)
    XCTAssertEqual(try store.openMultipartUploads(bucket: bucket), ["aborted.mp4"], "parts went while writing")
    stream.abort()
    XCTAssertNil(try store.head(.s3(bucket: bucket, key: "aborted.mp4")))
    XCTAssertEqual(try store.openMultipartUploads(bucket: bucket), [])
  }

  /// A body whose length is announced goes in one PUT while it arrives (aws-chunked, trailing checksum), however
  /// large; one that ends short of its length, or is abandoned, leaves nothing.
  func testS3KnownLengthIsOneStreamedPutAndAShortBodyLeavesNothing() throws {
    let server = try S3TestServer.require()
    let bucket = try server.makeBucket("streamed-put")
    let store = server.store(partSize: 5 << 20)
    let bytes = body(12 << 20)
    let location = BlobLocation.s3(bucket: bucket, key: "known.mp4")
    let stream = try store.openUpload(to: location, options: BlobPutOptions(tags: ["camera": "front"]))
    try stream.expect(bytes: Int64(bytes.count))
    try feed(bytes, into: stream)
    let stored = try stream.finish()
    XCTAssertFalse(stored.etag.contains("-"), "one PutObject, not multipart: \(stored.etag)")
    XCTAssertEqual(stored.sha256, Digest.sha256(bytes).hexString)
    XCTAssertEqual(try store.head(location)?.sha256, stored.sha256)
    XCTAssertEqual(try store.tags(of: location)["camera"], "front")
    let copy = scratch.file("known")
    _ = try store.get(location, to: copy)
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: copy)), Data(bytes))
    XCTAssertEqual(try store.openMultipartUploads(bucket: bucket), [])

    let short = BlobLocation.s3(bucket: bucket, key: "short.mp4")
    let cut = try store.openUpload(to: short, options: BlobPutOptions())
    try cut.expect(bytes: Int64(bytes.count))
    try feed(bytes, into: cut, upTo: 6 << 20)
    XCTAssertThrowsError(try cut.finish())
    XCTAssertNil(try store.head(short))

    let abandoned = BlobLocation.s3(bucket: bucket, key: "abandoned.mp4")
    let stopped = try store.openUpload(to: abandoned, options: BlobPutOptions())
    try stopped.expect(bytes: Int64(bytes.count))
    try feed(bytes, into: stopped, upTo: 6 << 20)
    stopped.abort()
    XCTAssertNil(try store.head(abandoned))
  }

  func testAzureSmallIsOnePutBlobLargeIsBlocksAndAnAbortLeavesNoBlob() throws {
    let connection = try TestServices.require("CLIPLINE_TEST_AZURE_CONNECTION_STRING")
      .trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
    let account = try TestServices.require("CLIPLINE_TEST_AZURE_ACCOUNT")
    var configuration = try AzureConfiguration(connectionString: connection)
    configuration.blockSize = 4 << 20
    configuration.blockThreshold = 4 << 20
    configuration.retry = RetryPolicy(attempts: 2, baseDelay: 0.05, maximumDelay: 0.2)
    let store = AzureBlobStore(configuration: configuration)
    let container = "streamed-\(UInt32.random(in: 0...UInt32.max))"
    try store.createContainer(account: account, container: container)
    func location(_ name: String) -> BlobLocation { .azure(account: account, container: container, blob: name) }
    _ = try assertRoundTrip(store, location("small.mp4"), size: 300_000)
    _ = try assertRoundTrip(store, location("large.mp4"), size: 10 << 20)
    XCTAssertEqual(try store.uncommittedBlockCount(of: location("large.mp4")), 0)

    let stream = try store.openUpload(to: location("aborted.mp4"), options: BlobPutOptions())
    try feed(body(10 << 20), into: stream, upTo: 9 << 20)
    stream.abort()
    XCTAssertNil(try store.head(location("aborted.mp4")), "blocks never listed make no blob")
  }

  func testLocalFileAppearsWholeAtFinishAndAbortLeavesNoFile() throws {
    let store = LocalBlobStore()
    let directory = scratch.file("store")
    _ = try assertRoundTrip(store, .file(path: directory + "/a/clip.mp4"), size: 1_000_000)
    let stream = try store.openUpload(to: .file(path: directory + "/b/clip.mp4"), options: BlobPutOptions())
    try feed(body(1_000_000), into: stream, upTo: 500_000)
    XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/b/clip.mp4"), "not before finish")
    stream.abort()
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory + "/b"), [])
  }
}
