import Foundation
import TestSupport
import ToolSupport
import XCTest

/// End to end: records that have arrived go out while the input is still open, even when a batch is not full.
final class GQLMutateStreamingTests: XCTestCase {
  func testPartialBatchGoesOutWhenNoMoreInputIsWaiting() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: ToolInvocation.path(of: "gql-mutate"))
    process.arguments = ["--op", "create-chunk", "--batch", "10"] + server.scopeHeader
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    defer { if process.isRunning { process.terminate() } }

    // Two records, then the pipe stays open as if `chunk` were still cutting the next one.
    let first = (1...2).map { ChunkRecords.batch(processID: processID, chunkID: $0) }
    try input.fileHandleForWriting.write(contentsOf: Data(ChunkRecords.lines(first).utf8))
    var received = Data()
    let deadline = Date().addingTimeInterval(20)
    while received.split(separator: UInt8(ascii: "\n")).count < 2, Date() < deadline {
      received.append(output.fileHandleForReading.availableData)
    }
    XCTAssertEqual(received.split(separator: UInt8(ascii: "\n")).count, 2, "both records arrive before input ends")
    XCTAssertEqual(try server.stats().requests, 1, "the two waiting records went out in one request")
    XCTAssertEqual(try server.rows("batch_chunks", processID: processID).count, 2)

    try input.fileHandleForWriting.write(
      contentsOf: Data(ChunkRecords.lines([ChunkRecords.batch(processID: processID, chunkID: 3)]).utf8))
    try input.fileHandleForWriting.close()
    received.append(output.fileHandleForReading.readDataToEndOfFile())
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0)
    let lines = received.split(separator: UInt8(ascii: "\n")).map { try? Record(line: Array($0)) }
    XCTAssertEqual(lines.map { $0?["chunk_id"] }, [1, 2, 3])
    XCTAssertEqual(try server.stats().requests, 2)
  }
}
