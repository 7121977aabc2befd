import CliplineBlobStores
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// A multipart upload whose SHA-256 was not known when it began owes a tag once complete; with a cache copy to make,
/// the uploader sets it while the server copies (two round trips at once), and a tag that cannot be set leaves
/// neither the object nor its copy.
final class S3TagsBesideCopyTests: XCTestCase {
  var server: S3TestServer!
  var scratch: ScratchDirectory!

  override func setUpWithError() throws {
    server = try S3TestServer.require()
    scratch = try ScratchDirectory("tags-beside-copy")
  }

  func upload(_ file: String, main: String, cache: String, endpoint: String? = nil) throws -> ToolResult {
    var environment = server.toolEnvironment
    if let endpoint { environment["AWS_ENDPOINT_URL_S3"] = endpoint }
    return try ToolInvocation.run(
      "blob-put",
      [
        "--to", "s3://\(main)/c.mp4=cloud_stream_path", "--to", "s3://\(cache)/c.mp4=cache_path", "--ttl",
        "cache_path=1h", "--part-size", "5M", "--multipart-threshold", "5M", "--attempts", "2", "--verbose",
      ], stdin: Record(["chunk_path": .string(file)]).jsonText + "\n", environment: environment,
      removingEnvironment: S3TestServer.unrelatedVariables)
  }

  func testAMultipartUploadIsTaggedWithItsDigestBesideItsCacheCopy() throws {
    let (main, cache) = (try server.makeBucket("tagged-main"), try server.makeBucket("tagged-cache"))
    let file = scratch.file("c.mp4")
    try writeRandomFile(file, bytes: 12 << 20)
    let hash = try sha256Hex(ofFile: file)
    let result = try upload(file, main: main, cache: cache)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stderr.contains("server-side copy"), result.stderr)
    let record = try XCTUnwrap(try result.records().first)
    XCTAssertEqual(record["chunk_sha256"], .string(hash))
    let store = server.store()
    let stored = BlobLocation.s3(bucket: main, key: "c.mp4")
    let tags = try store.tags(of: stored)
    XCTAssertEqual(tags[BlobPutOptions.sha256Tag], hash, "the digest is the object's tag")
    XCTAssertEqual(tags[BlobPutOptions.sha256ETagTag], record["cloud_stream_path_etag"]?.stringValue)
    XCTAssertEqual(try store.head(stored)?.sha256, hash)
    XCTAssertEqual(try store.head(.s3(bucket: cache, key: "c.mp4"))?.sha256, hash, "the copy carries it too")
  }

  func testATagThatCannotBeSetLeavesNeitherTheObjectNorItsCopy() throws {
    let (main, cache) = (try server.makeBucket("untagged-main"), try server.makeBucket("untagged-cache"))
    let file = scratch.file("c.mp4")
    try writeRandomFile(file, bytes: 12 << 20)
    let proxy = try FaultProxy(upstream: server.endpoint, failQuery: "tagging")
    let result = try withExtendedLifetime(proxy) {
      try upload(file, main: main, cache: cache, endpoint: proxy.endpoint)
    }
    XCTAssertEqual(result.status, 75, result.stderr)
    XCTAssertTrue(result.stderr.contains("s3://\(main)/c.mp4"), "names the object: \(result.stderr)")
    let store = server.store()
    XCTAssertNil(try store.head(.s3(bucket: main, key: "c.mp4")), "no object without its digest")
    XCTAssertNil(try store.head(.s3(bucket: cache, key: "c.mp4")), "nor its copy")
    XCTAssertEqual(try store.openMultipartUploads(bucket: main), [])
    XCTAssertTrue(FileManager.default.fileExists(atPath: file), "the file stays for the next attempt")
  }
}
