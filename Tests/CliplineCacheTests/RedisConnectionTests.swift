import CliplineCache
import CliplineTestSupport
import Foundation
import XCTest

/// The redisContext owner: a connection whose AUTH or SELECT fails is a clean RedisError (the context is freed
/// once, by the failed open), never a crash; the right password and database work.
final class RedisConnectionTests: XCTestCase {
  func testAuthAndSelectFailuresAreCleanErrors() throws {
    let server = try RedisProcess(arguments: ["--requirepass", "s3cret", "--databases", "4"])
    defer { server.stop() }
    let port = server.url.split(separator: ":").last!
    let cases: [(String, String)] = [
      ("redis://:wrong@127.0.0.1:\(port)", "Redis AUTH:"),
      ("redis://127.0.0.1:\(port)/2", "Redis SELECT: NOAUTH"),
      ("redis://:s3cret@127.0.0.1:\(port)/9", "Redis SELECT: ERR DB index is out of range"),
    ]
    for (url, message) in cases {
      XCTAssertThrowsError(try RedisConnection(url: RedisURL(url)!), url) { error in
        XCTAssertTrue(String(describing: error).hasPrefix(message), "\(url): \(error)")
        XCTAssertFalse(String(describing: error).contains("s3cret"), "the password stays out of the message")
      }
    }
    let good = try RedisConnection(url: RedisURL("redis://:s3cret@127.0.0.1:\(port)/3")!)
    XCTAssertEqual(try good.command("PING"), .status("PONG"))
  }
}
