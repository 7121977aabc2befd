import CliplineAWS
import CliplineBlobStores
import CliplineCrypto
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// What S3 stores is the SHA-256 promised, or nothing: a known SHA-256 of a body sent in parts is compared with the
/// bytes; and with two writers of one key (a redelivered task, two consumers) whose SHA-256 goes in tags after the
/// object exists (a multipart upload, a streamed PUT), the fault proxy holds the first writer's tagging request until
/// the second one has completed and tagged: the order that used to leave the second writer's bytes with the first
/// one's digest, so that every download failed.
final class S3WriteIntegrityTests: XCTestCase {
  var server: S3TestServer!
  var scratch: ScratchDirectory!

  override func setUpWithError() throws {
    server = try S3TestServer.require()
    scratch = try ScratchDirectory("two-writers")
  }

  func store(endpoint: String) -> S3Store {
    var configuration = server.configuration()
    configuration.endpoint = endpoint
    configuration.partSize = 5 << 20
    configuration.multipartThreshold = 5 << 20
    return S3Store(configuration: configuration)
  }

  /// `chunk --to` above S3's single-PUT limit and every streamed body past the multipart threshold: the parts are
  /// checked one by one against their own checksums, so the SHA-256 the producer computed is compared here.
  func testAWrongKnownSHA256OfABodySentInPartsIsRefusedAndNothingIsLeft() throws {
    let bucket = try server.makeBucket("known-parts")
    let location = BlobLocation.s3(bucket: bucket, key: "chunk_001.mp4")
    let body = (0..<(11 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    let wrong = Digest.sha256(body + [0])
    let upload = try store(endpoint: server.endpoint).openUpload(
      to: location, options: BlobPutOptions(knownDigests: FileDigests(sha256: wrong, md5: [], bytes: 0)))
    try body.withUnsafeBytes { try upload.write($0) }
    XCTAssertThrowsError(try upload.finish()) { error in
      XCTAssertEqual(ExitStatus.of(error), .dataError, describe(error))
      XCTAssertTrue(describe(error).contains(wrong.hexString), describe(error))
    }
    XCTAssertNil(try server.store().head(location), "nothing stored")
    XCTAssertEqual(try server.store().openMultipartUploads(bucket: bucket), [], "no upload left open")
  }

  func testALateFirstWritersTagsDoNotDescribeTheSecondWritersBytes() throws {
    for (name, size) in [("multipart.bin", 11 << 20), ("single.bin", 300_000)] {
      let bucket = try server.makeBucket("two-writers")
      let location = BlobLocation.s3(bucket: bucket, key: "processed/live/\(name)")
      let (first, second) = (scratch.file("first-\(name)"), scratch.file("second-\(name)"))
      try writeRandomFile(first, bytes: size)
      try writeRandomFile(second, bytes: size)
      let proxy = try FaultProxy(upstream: server.endpoint, holdQuery: "tagging")
      let firstStore = store(endpoint: proxy.endpoint)
      let done = DispatchSemaphore(value: 0)
      let outcome = Outcome()
      DispatchQueue.global().async {
        outcome.set(Result { try Self.putWithDigestInTags(first, to: location, store: firstStore) })
        done.signal()
      }
      try proxy.waitUntilHeld()
      let stored = try Self.putWithDigestInTags(second, to: location, store: store(endpoint: server.endpoint))
      try proxy.release()
      done.wait()
      XCTAssertNoThrow(try outcome.get(), name)

      // The object is the second writer's, whole, and reads back without an integrity failure.
      let copy = scratch.file("copy-\(name)")
      XCTAssertNoThrow(try server.store().get(location, to: copy), name)
      XCTAssertEqual(try sha256Hex(ofFile: copy), try sha256Hex(ofFile: second), name)
      XCTAssertEqual(try server.store().head(location)?.etag, stored.etag, name)
      let result = try ToolInvocation.run(
        "blob-get", ["s3://\(bucket)/processed/live/\(name)", "-o", scratch.file("tool-\(name)")],
        environment: server.toolEnvironment, removingEnvironment: S3TestServer.unrelatedVariables)
      XCTAssertEqual(result.status, 0, "\(name): \(result.stderr)")
    }
  }

  /// A file above the part size goes as a multipart upload, one below it as a streamed PUT whose checksum is a
  /// trailer: either way the SHA-256 is not known when the object is created, so it is stored as tags.
  static func putWithDigestInTags(_ file: String, to location: BlobLocation, store: S3Store) throws -> StoredBlob {
    let size = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber).intValue
    if size > 5 << 20 { return try store.put(.file(file), to: location, options: BlobPutOptions()) }
    let upload = try store.openUpload(to: location, options: BlobPutOptions())
    try upload.expect(bytes: Int64(size))
    let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
    try bytes.withUnsafeBytes { try upload.write($0) }
    return try upload.finish()
  }
}

/// The first writer's result, set on its thread and read after it signalled.
private final class Outcome: @unchecked Sendable {  // `result` is set before `done.signal()` and read after `wait()`
  private var result: Result<StoredBlob, Error>?
  func set(_ result: Result<StoredBlob, Error>) { self.result = result }
  func get() throws -> StoredBlob { try result!.get() }
}
