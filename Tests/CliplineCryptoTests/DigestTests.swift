import CliplineCrypto
import Foundation
import XCTest

final class DigestTests: XCTestCase {
  func testKnownVectors() throws {
    XCTAssertEqual(Digest.sha256("").hexString, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    XCTAssertEqual(Digest.sha256("abc").hexString, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    let md5 = try Digest(.md5)
    md5.update("abc")
    XCTAssertEqual(md5.finish().hexString, "900150983cd24fb0d6963f7d28e17f72")
  }

  /// RFC 4231 test case 2.
  func testHMACSHA256() {
    let mac = HMAC.sha256(key: Array("Jefe".utf8), message: "what do ya want for nothing?")
    XCTAssertEqual(mac.hexString, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
  }

  func testFileDigestMatchesStreamingDigest() throws {
    let path = NSTemporaryDirectory() + "digest-\(getpid()).bin"
    let bytes = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
    defer { try? FileManager.default.removeItem(atPath: path) }
    XCTAssertEqual(try Digest.ofFile(path), Digest.sha256(bytes))
    XCTAssertThrowsError(try Digest.ofFile(path + ".missing"))
  }
}

/// The EVP_MD_CTX owner: a digest that cannot be initialised is a CryptoError, and the context is freed once.
final class DigestOpenTests: XCTestCase {
  func testUnknownDigestIsACleanError() throws {
    XCTAssertThrowsError(try Digest(named: "NO-SUCH-DIGEST")) { error in
      XCTAssertEqual(String(describing: error), "libcrypto EVP_get_digestbyname failed: unknown digest")
    }
    let sha512 = try Digest(named: "SHA512")
    sha512.update("abc")
    XCTAssertEqual(sha512.finish().hexString.prefix(16), "ddaf35a193617aba")
  }
}
