import CliplineBlobStores
import CliplineCrypto
import CliplineHTTP
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// `BlobStore.put(.memory(…))`, what `chunk --to` sends: a body in memory, in pieces (head, moved index,
/// media), whose SHA-256 is known. Stored as their concatenation on every backend; on S3 in one plain PutObject
/// that the server checks against that SHA-256, and that can be sent again.
final class UploadFromMemoryTests: XCTestCase {
  var scratch: ScratchDirectory!

  override func setUpWithError() throws { scratch = try ScratchDirectory("from-memory") }

  func random(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255) } }

  /// Three pieces of odd sizes (none a multiple of libcurl's buffer), and the bytes they make together.
  func pieces() -> (parts: [[UInt8]], whole: [UInt8]) {
    let parts = [random(70_001), random(333), random(3_000_017)]
    return (parts, parts.flatMap { $0 })
  }

  func withPieces<R>(_ parts: [[UInt8]], _ body: (HTTPBodyPieces) throws -> R) rethrows -> R {
    let held = PiecesInMemory(parts, sha256: [])
    defer { held.release() }
    return try held.withPieces { try body(HTTPBodyPieces($0)) }
  }

  func assertStored(_ store: BlobStore, _ location: BlobLocation, file: StaticString = #filePath, line: UInt = #line)
    throws -> StoredBlob
  {
    let (parts, whole) = pieces()
    let sha256 = Digest.sha256(whole)
    let held = PiecesInMemory(parts, sha256: sha256)
    defer { held.release() }
    let stored = try store.put(.memory(held), to: location, options: BlobPutOptions(tags: ["camera": "front"]))
    XCTAssertEqual(stored.bytes, Int64(whole.count), file: file, line: line)
    XCTAssertEqual(stored.sha256, sha256.hexString, file: file, line: line)
    let copy = scratch.file("copy-\(UUID().uuidString)")
    _ = try store.get(location, to: copy)
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: copy)), Data(whole), file: file, line: line)
    XCTAssertEqual(try store.head(location)?.sha256, sha256.hexString, "the recorded SHA-256", file: file, line: line)
    return stored
  }

  func testPiecesCopyAcrossTheirBoundsFromAnyOffset() {
    let (parts, whole) = pieces()
    withPieces(parts + [[]]) { body in
      XCTAssertEqual(body.length, Int64(whole.count))
      for offset in [0, 1, 69_999, 70_000, 70_001, 70_333, 70_334, whole.count - 1, whole.count] {
        for size in [1, 16_384, 1 << 20, whole.count] {
          var target = [UInt8](repeating: 0, count: size)
          let count = target.withUnsafeMutableBytes { body.copy(from: Int64(offset), into: $0) }
          XCTAssertEqual(count, min(size, whole.count - offset), "offset \(offset), size \(size)")
          XCTAssertEqual(Array(target[..<count]), Array(whole[offset..<(offset + count)]), "offset \(offset)")
        }
      }
    }
  }

  func testS3StoresThePiecesInOnePutObject() throws {
    let server = try S3TestServer.require()
    let bucket = try server.makeBucket("from-memory")
    let location = BlobLocation.s3(bucket: bucket, key: "chunk.mp4")
    let stored = try assertStored(server.store(), location)
    XCTAssertFalse(stored.etag.contains("-"), "one PutObject, not multipart: \(stored.etag)")
    XCTAssertEqual(try server.store().tags(of: location)["camera"], "front")
  }

  /// The known SHA-256 is the one the request is signed with and carries: S3 refuses bytes that do not match it
  /// (65), and nothing is stored.
  func testS3RefusesPiecesThatAreNotTheKnownSHA256() throws {
    let server = try S3TestServer.require()
    let bucket = try server.makeBucket("from-memory-wrong")
    let location = BlobLocation.s3(bucket: bucket, key: "chunk.mp4")
    let (parts, whole) = pieces()
    var wrong = Digest.sha256(whole)
    wrong[0] ^= 1
    let held = PiecesInMemory(parts, sha256: wrong)
    defer { held.release() }
    XCTAssertThrowsError(try server.store().put(.memory(held), to: location, options: BlobPutOptions())) { error in
      XCTAssertEqual(ExitStatus.of(error), .dataError, "\(error)")
    }
    XCTAssertNil(try server.store().head(location))
  }

  /// Throttled twice (503 SlowDown), the same pieces are sent again from the start and arrive whole.
  func testS3SendsThePiecesAgainAfterAThrottle() throws {
    let server = try S3TestServer.require()
    let bucket = try server.makeBucket("from-memory-again")
    let proxy = try FaultProxy(upstream: server.endpoint, failFirst: 2)
    let throttled = S3TestServer(
      endpoint: proxy.endpoint, accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey,
      region: server.region)
    _ = try assertStored(throttled.store(), .s3(bucket: bucket, key: "chunk.mp4"))
  }

  func testAzureAndTheLocalStoreStoreThePieces() throws {
    let connection = try TestServices.require("CLIPLINE_TEST_AZURE_CONNECTION_STRING")
      .trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
    let account = try TestServices.require("CLIPLINE_TEST_AZURE_ACCOUNT")
    let azure = AzureBlobStore(configuration: try AzureConfiguration(connectionString: connection))
    let container = "from-memory-\(UInt32.random(in: 0...UInt32.max))"
    try azure.createContainer(account: account, container: container)
    _ = try assertStored(azure, .azure(account: account, container: container, blob: "chunk.mp4"))
    _ = try assertStored(LocalBlobStore(), .file(path: scratch.file("store/chunk.mp4")))
  }
}

/// Bytes held in memory as separate pieces, as a segment cut into memory holds them.
final class PiecesInMemory: HeldBytes, @unchecked Sendable {  // `buffers` is read-only until `release()`
  private var buffers: [UnsafeMutableRawBufferPointer]
  let sha256: [UInt8]
  let byteCount: Int64

  init(_ parts: [[UInt8]], sha256: [UInt8]) {
    buffers = parts.map { part in
      let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: part.count, alignment: 1)
      part.withUnsafeBytes { buffer.copyMemory(from: $0) }
      return buffer
    }
    self.sha256 = sha256
    byteCount = parts.reduce(0) { $0 + Int64($1.count) }
  }

  func withPieces<Result>(_ body: ([UnsafeRawBufferPointer]) throws -> Result) rethrows -> Result {
    try body(buffers.map { UnsafeRawBufferPointer($0) })
  }

  func release() {
    for buffer in buffers { buffer.deallocate() }
    buffers = []
  }
}
