import CliplineAWS
import CliplineBlobStores
import CliplineHTTP
import CliplineRecords
import CliplineSources
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// The S3 store against SeaweedFS verifying SigV4: single and multipart uploads, downloads byte-identical,
/// tags, presigned URLs (curl), wrong credentials.
final class S3StoreTests: XCTestCase {
  var server: S3TestServer!
  var scratch: ScratchDirectory!

  override func setUpWithError() throws {
    server = try S3TestServer.require()
    scratch = try ScratchDirectory("s3store")
  }

  func testSmallAndMultipartUploadsDownloadByteIdentical() throws {
    let bucket = try server.makeBucket("roundtrip")
    let store = server.store(partSize: 5 << 20, concurrency: 4)
    for (name, size) in [("small.bin", 700_001), ("large.bin", 13 * (1 << 20) + 12345)] {
      let source = scratch.file(name)
      try writeRandomFile(source, bytes: size)
      let location = BlobLocation.s3(bucket: bucket, key: "dir with space/\(name)")
      let stored = try store.put(
        .file(source), to: location, options: BlobPutOptions(contentType: "video/mp4", tags: ["k": "v w"]))
      XCTAssertEqual(stored.bytes, Int64(size))
      XCTAssertEqual(stored.sha256, try sha256Hex(ofFile: source))
      if size > 5 << 20 {
        XCTAssertTrue(stored.etag.hasSuffix("-3"), stored.etag)
      } else {
        XCTAssertEqual(stored.etag.count, 32)
      }
      let info = try XCTUnwrap(try store.head(location))
      XCTAssertEqual(info.bytes, Int64(size))
      XCTAssertEqual(info.sha256, stored.sha256)
      XCTAssertEqual(try store.tags(of: location)["k"], "v w")
      let copy = scratch.file("copy-" + name)
      _ = try store.get(location, to: copy)  // the large one comes back in 3 parallel ranges
      XCTAssertEqual(FileManager.default.contents(atPath: copy), FileManager.default.contents(atPath: source))
    }
    XCTAssertEqual(try store.openMultipartUploads(bucket: bucket), [])
    let listed = try store.list(prefix: .s3(bucket: bucket, key: "dir with space/")).map(\.location.description)
    XCTAssertEqual(
      listed.sorted(), ["s3://\(bucket)/dir with space/large.bin", "s3://\(bucket)/dir with space/small.bin"])
  }

  func testMissingObjectsAndDeletes() throws {
    let bucket = try server.makeBucket("delete")
    let store = server.store()
    let location = BlobLocation.s3(bucket: bucket, key: "a/b.bin")
    XCTAssertNil(try store.head(location))
    XCTAssertThrowsError(try store.get(location, to: scratch.file("none"))) { error in
      XCTAssertEqual(ExitStatus.of(error), .noInput)
      XCTAssertTrue(describe(error).contains("s3://\(bucket)/a/b.bin"), describe(error))
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.file("none")))
    let source = scratch.file("x")
    try writeRandomFile(source, bytes: 10)
    _ = try store.put(.file(source), to: location, options: BlobPutOptions())
    XCTAssertNotNil(try store.head(location))
    try store.delete(location)
    XCTAssertNil(try store.head(location))
    try store.delete(location)  // again: not an error
  }

  func testPresignedURLsWorkWithCurlAndFailWhenTamperedOrExpired() throws {
    let bucket = try server.makeBucket("presign")
    let store = server.store()
    let source = scratch.file("clip.mp4")
    try writeRandomFile(source, bytes: 4096)
    let location = BlobLocation.s3(bucket: bucket, key: "live/cam 1/clip.mp4")
    _ = try store.put(.file(source), to: location, options: BlobPutOptions())

    let url = try store.presignedURL(for: location, method: .get, expires: 600)
    XCTAssertTrue(url.contains("X-Amz-Signature="))
    let fetched = scratch.file("fetched")
    XCTAssertEqual(try curlStatus(["-o", fetched, url]), "200")
    XCTAssertEqual(FileManager.default.contents(atPath: fetched), FileManager.default.contents(atPath: source))
    XCTAssertEqual(
      try curlStatus(["-o", "/dev/null", url.replacingOccurrences(of: "clip.mp4", with: "clip.mp5")]), "403")
    XCTAssertEqual(
      try curlStatus(["-o", "/dev/null", url.replacingOccurrences(of: "X-Amz-Expires=600", with: "X-Amz-Expires=6000")]
      ),
      "403")

    let shortLived = try store.presignedURL(for: location, method: .get, expires: 1)
    Thread.sleep(forTimeInterval: 2.2)
    XCTAssertEqual(try curlStatus(["-o", "/dev/null", shortLived]), "403", "an expired URL must stop working")

    let putURL = try store.presignedURL(
      for: .s3(bucket: bucket, key: "uploads/by-curl.bin"), method: .put, expires: 600)
    XCTAssertEqual(try curlStatus(["-T", source, putURL]), "200")
    XCTAssertEqual(try store.head(.s3(bucket: bucket, key: "uploads/by-curl.bin"))?.bytes, 4096)
  }

  func testWrongSecretIsRefusedWithPermissionDeniedNamingTheObject() throws {
    let bucket = try server.makeBucket("denied")
    let store = S3Store(configuration: server.configuration(secret: "not-the-secret"))
    let source = scratch.file("x")
    try writeRandomFile(source, bytes: 100)
    XCTAssertThrowsError(
      try store.put(.file(source), to: .s3(bucket: bucket, key: "k/x.bin"), options: BlobPutOptions())
    ) {
      error in
      XCTAssertEqual(ExitStatus.of(error), .permissionDenied)
      XCTAssertTrue(describe(error).contains("s3://\(bucket)/k/x.bin"), describe(error))
      XCTAssertTrue(describe(error).contains("SignatureDoesNotMatch"), describe(error))
      XCTAssertFalse(describe(error).contains("not-the-secret"))
    }
  }

  /// `chunk` reads s3:// sources through `SourceFetcher.standard`: streamed into the work directory.
  func testSourceFetcherDownloadsS3Sources() throws {
    let bucket = try server.makeBucket("source")
    let source = scratch.file("feed.mp4")
    try writeRandomFile(source, bytes: 2_500_000)
    _ = try server.store().put(
      .file(source), to: .s3(bucket: bucket, key: "uploads/feed.mp4"), options: BlobPutOptions())
    let fetcher = SourceFetcher.standard(stores: BlobStoreSet(s3: { self.server.configuration() }))
    let work = WorkDirectory(path: scratch.path, isCreatedHere: false)
    let local = try fetcher.localFile(for: "s3://\(bucket)/uploads/feed.mp4", in: work)
    XCTAssertTrue(local.isDownloadedCopy)
    XCTAssertEqual(try sha256Hex(ofFile: local.path), try sha256Hex(ofFile: source))
    local.discard()
    XCTAssertFalse(FileManager.default.fileExists(atPath: local.path))
    XCTAssertThrowsError(try fetcher.localFile(for: "s3://\(bucket)/uploads/missing.mp4", in: work)) {
      XCTAssertEqual(ExitStatus.of($0), .noInput)
    }
  }

  /// Virtual-hosted addressing against the real server: `bucket.localhost` (the services script starts SeaweedFS
  /// with `-s3.domainName=localhost`; libcurl resolves *.localhost to loopback), signed for that Host.
  func testVirtualHostedAddressingAgainstTheServer() throws {
    let bucket = try server.makeBucket("vhost")
    var configuration = server.configuration()
    let port = try XCTUnwrap(server.endpoint.split(separator: ":").last)
    configuration.endpoint = "http://localhost:\(port)"
    configuration.addressing = .virtual
    let store = S3Store(configuration: configuration)
    XCTAssertEqual(configuration.url(bucket: bucket, key: "a/b.bin"), "http://\(bucket).localhost:\(port)/a/b.bin")
    let source = scratch.file("v.bin")
    try writeRandomFile(source, bytes: 70_000)
    let location = BlobLocation.s3(bucket: bucket, key: "a/b.bin")
    _ = try store.put(.file(source), to: location, options: BlobPutOptions())
    XCTAssertEqual(try server.store().head(location)?.bytes, 70_000, "the path-style client sees the same object")
    let copy = scratch.file("v-copy.bin")
    _ = try store.get(location, to: copy)
    XCTAssertEqual(try sha256Hex(ofFile: copy), try sha256Hex(ofFile: source))
    XCTAssertEqual(
      try curlStatus(["-o", "/dev/null", try store.presignedURL(for: location, method: .get, expires: 60)]), "200")
  }

  func testVirtualHostedURLsAndPathStyle() {
    let aws = S3Configuration(
      endpoint: nil, region: "eu-west-1",
      credentials: StaticCredentialsProvider(AWSCredentials(accessKeyId: "a", secretAccessKey: "b")))
    XCTAssertEqual(
      aws.url(bucket: "spectra", key: "a b/c.mp4"), "https://spectra.s3.eu-west-1.amazonaws.com/a%20b/c.mp4")
    XCTAssertEqual(aws.url(bucket: "my.dotted", key: "k"), "https://s3.eu-west-1.amazonaws.com/my.dotted/k")
    var custom = aws
    custom.endpoint = "http://127.0.0.1:8333"
    XCTAssertEqual(custom.url(bucket: "b", key: "k/1"), "http://127.0.0.1:8333/b/k/1")
    custom.addressing = .virtual
    XCTAssertEqual(custom.url(bucket: "b", key: "k/1"), "http://b.127.0.0.1:8333/k/1")
  }

}
