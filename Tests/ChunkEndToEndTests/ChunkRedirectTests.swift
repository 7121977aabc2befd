import CliplineRecords
import CliplineTestSupport
import Foundation
import XCTest

/// An http(s) source that answers with a redirect (a short link, a CDN, a presigned URL behind a gateway) is
/// followed, a bounded number of times (issue 24, item 15). Before, chunk stopped at the 302 (exit 1).
final class ChunkRedirectTests: XCTestCase {
  /// `chunk` on the fixture video served behind `hops` redirects.
  private func chunkBehind(hops: Int, query: String = "") throws -> (result: ToolResult, source: String) {
    let source = try FixtureVideo.path(.init(seconds: 8, gopFrames: 25))
    let server = try TrickleServer(directory: (source as NSString).deletingLastPathComponent)
    let scratch = try ScratchDirectory("redirected")
    let url = "\(server.baseURL)/redirect/\(hops)/\((source as NSString).lastPathComponent)\(query)"
    let result = try ToolInvocation.run("chunk", ["--source", url, "--chunk-duration", "4", "-o", scratch.path])
    return (result, source)
  }

  func testARedirectedSourceIsFollowedAndCutAsTheFileItself() throws {
    let (result, source) = try chunkBehind(hops: 3, query: "?kb=1024")
    XCTAssertEqual(result.status, 0, result.stderr)
    let hashes = try result.records().compactMap { $0["chunk_hash"]?.stringValue }
    XCTAssertEqual(hashes, try ChunkReference.hashes(of: source, chunkDuration: 4))
  }

  func testARedirectLoopIsRefusedWithASentence() throws {
    let (result, _) = try chunkBehind(hops: 40)
    XCTAssertEqual(result.status, 65, result.stderr)
    XCTAssertTrue(result.stderr.contains("redirects"), result.stderr)
    XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
  }
}
