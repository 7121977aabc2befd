import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// End to end: records that have arrived go out while the input is still open, even when a batch is not full.
final class GQLMutateStreamingTests: XCTestCase {
  func testPartialBatchGoesOutWhenNoMoreInputIsWaiting() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    let tool = try RunningTool("gql-mutate", ["--op", "create-chunk", "--batch", "10"] + server.scopeHeader)

    // Two records, then the pipe stays open as if `chunk` were still cutting the next one.
    let first = (1...2).map { ChunkRecords.batch(processID: processID, chunkID: $0) }
    try tool.write(ChunkRecords.lines(first))
    var received = tool.read(lines: 2, timeout: 20)
    XCTAssertEqual(received.split(separator: UInt8(ascii: "\n")).count, 2, "both records arrive before input ends")
    XCTAssertEqual(try server.stats().requests, 1, "the two waiting records went out in one request")
    XCTAssertEqual(try server.rows("batch_chunks", processID: processID).count, 2)

    try tool.write(ChunkRecords.lines([ChunkRecords.batch(processID: processID, chunkID: 3)]))
    try tool.closeInput()
    received.append(tool.finish())
    XCTAssertEqual(tool.status, 0)
    let lines = received.split(separator: UInt8(ascii: "\n")).map { try? Record(line: Array($0)) }
    XCTAssertEqual(lines.map { $0?["chunk_id"] }, [1, 2, 3])
    XCTAssertEqual(try server.stats().requests, 2)
  }
}
