import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// SIGTERM during a Retry-After wait ends the wait (issue 9, item 6).
final class GQLMutateShutdownTests: XCTestCase {
  func testSIGTERMDuringARetryAfterWaitExits75WithoutWaitingItOut() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    try server.inject(["kind": "status", "status": 429, "retry_after": 30, "count": 10])
    let tool = try RunningTool("gql-mutate", ["--op", "create-chunk", "--attempts", "6"] + server.scopeHeader)
    try tool.write(ChunkRecords.lines([ChunkRecords.batch(processID: processID, chunkID: 1)]))
    try tool.closeInput()

    // Wait until the first answer (429) has arrived: from then on the tool is in its Retry-After wait.
    let deadline = Date().addingTimeInterval(60)
    while try server.stats().requests < 1, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    XCTAssertEqual(try server.stats().requests, 1)
    Thread.sleep(forTimeInterval: 0.5)

    let signalled = Date()
    tool.terminate()
    _ = tool.finish()
    let waited = Date().timeIntervalSince(signalled)

    XCTAssertEqual(tool.status, 75)
    // A bound, not a measurement: the wait is capped at the policy's 10 s and the server asked for 30 s.
    XCTAssertLessThan(waited, 8, "gql-mutate waited out the Retry-After after SIGTERM")
    XCTAssertEqual(try server.stats().requests, 1, "no retry after the signal")
    XCTAssertEqual(try server.rows("batch_chunks", processID: processID).count, 0)
  }

  /// The same with stdin still open (an upstream that has not finished): the tool used to print its error at
  /// once and then sit in read(2) on stdin until the upstream ended (issue 24, item 4).
  func testSIGTERMDuringABackoffWithStdinOpenExitsWithoutWaitingForTheInput() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    // Retry-After holds the tool in its wait (capped at 10 s by the policy) from the first answer on, so the request
    // counted below is still the only one when the signal comes (a bare 503's first backoff can be shorter than the
    // poll's step).
    try server.inject(["kind": "status", "status": 503, "retry_after": 30, "count": 10])
    let tool = try ProcessRun.start(
      ToolInvocation.path(of: "gql-mutate"), ["--op", "create-chunk", "--attempts", "6"] + server.scopeHeader)
    try tool.write(ChunkRecords.lines([ChunkRecords.batch(processID: processID, chunkID: 1)]))

    let deadline = Date().addingTimeInterval(60)
    while try server.stats().requests < 1, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    XCTAssertEqual(try server.stats().requests, 1)
    kill(tool.pid, SIGTERM)
    // A bound, not a measurement: the input stays open for ever, so a tool that waits for it never ends.
    let ended = try tool.finish(within: 20)
    XCTAssertEqual(ended.reason, .exit)
    XCTAssertEqual(ended.status, 75, ended.stderr)
    XCTAssertEqual(try server.rows("batch_chunks", processID: processID).count, 0)
  }
}
