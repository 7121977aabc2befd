import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// A file the tool cannot read or write (missing, on a read-only file system) is said in one sentence that names
/// it, with the exit code of ARCHITECTURE.md (66 missing, 77 refused), never Foundation's `Error Domain=…` dump nor
/// a Swift type's name. A row per tool family (record-shape reads no file and no URL). The tests run as root, to
/// whom a chmod'ed directory is still writable: "refused" is a read-only tmpfs.
final class EveryToolFileErrorsTests: XCTestCase {
  private var scratch: ScratchDirectory!
  private var readOnly = ""

  override func setUpWithError() throws {
    scratch = try ScratchDirectory("file-errors")
    readOnly = (scratch.file("ro") as NSString).standardizingPath
    try FileManager.default.createDirectory(atPath: readOnly, withIntermediateDirectories: true)
    let mounted = try ToolInvocation.runProcess(
      "/usr/bin/mount", ["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", readOnly])
    XCTAssertEqual(mounted.status, 0, "this test mounts a read-only tmpfs: \(mounted.stderr)")
  }

  override func tearDownWithError() throws {
    _ = try? ToolInvocation.runProcess("/usr/bin/umount", [readOnly])
  }

  struct Row {
    let tool: String
    let arguments: [String]
    var stdin = ""
    let status: ExitStatus
    /// What the one sentence says: the object and what went wrong with it.
    let says: [String]
  }

  func testChunkFamily() throws {
    try check(
      Row(
        tool: "chunk", arguments: ["--source", "/nonexistent/v.mp4", "--chunk-duration", "10", "-o", scratch.path],
        status: .noInput, says: ["/nonexistent/v.mp4: no such file or directory"]))
    // A source URL libcurl cannot parse is the flag's fault (64), said with the URL.
    try check(
      Row(
        tool: "chunk", arguments: ["--source", "http://[::1/v.mp4", "--chunk-duration", "10", "-o", scratch.path],
        status: .usage, says: ["(http://[::1/v.mp4)"]))
    try check(
      Row(
        tool: "contact-sheet", arguments: ["-o", scratch.file("sheet.png")],
        stdin: #"{"chunk_id":1,"chunk_path":"/nonexistent/c.mp4"}"#, status: .noInput,
        says: ["/nonexistent/c.mp4: no such file or directory"]))
  }

  func testBlobFamily() throws {
    try check(
      Row(
        tool: "blob-put", arguments: ["--to", "file://\(scratch.file("out"))/a.bin"],
        stdin: #"{"chunk_path":"/nonexistent/a.bin"}"#, status: .noInput,
        says: ["(line 1)", "/nonexistent/a.bin does not exist"]))
    try check(
      Row(
        tool: "blob-put", arguments: ["--to", "file://\(readOnly)/a.bin"], stdin: #"{"chunk_path":"/etc/hostname"}"#,
        status: .permissionDenied, says: ["(line 1)", "\(readOnly)/", "Read-only file system"]))
    try check(
      Row(
        tool: "blob-get", arguments: ["file:///etc/hostname", "-o", "\(readOnly)/b"], status: .permissionDenied,
        says: ["\(readOnly)/", "Read-only file system"]))
    try check(
      Row(
        tool: "blob-rm", arguments: ["file://\(readOnly)/c.bin"], status: .permissionDenied,
        says: ["\(readOnly)/c.bin", "Read-only file system (EROFS)"]))
  }

  func testAMQPFamily() throws {
    // rabbitmq-c calls a CA file it cannot read "a SSL error": it reconnected as if the broker were gone, then 69.
    try check(
      Row(
        tool: "amqp-pub", arguments: ["-q", "q", "--ca-file", "/nonexistent/ca.pem"], stdin: #"{"n":1}"# + "\n",
        status: .noInput, says: ["/nonexistent/ca.pem", "No such file or directory"]),
      environment: ["AMQP_URL": "amqps://guest:guest@127.0.0.1:1/%2f"])
    try check(
      Row(
        tool: "m0-submit", arguments: ["--metrics-file", "\(readOnly)/m.prom"], status: .permissionDenied,
        says: ["\(readOnly)/m.prom", "Read-only file system"]),
      environment: ["AMQP_URL": try Broker.url()])
    // A health file that can never be written was said nowhere: the probe read a missing file.
    try check(
      Row(
        tool: "amqp-consume", arguments: ["-q", "q", "--health-file", "\(readOnly)/h.json", "--", "true"],
        status: .permissionDenied, says: ["--health-file \(readOnly)/h.json", "Read-only file system"]),
      environment: ["AMQP_URL": try Broker.url()])
  }

  func testKVSFamily() throws {
    try check(
      Row(
        tool: "kvs-follow",
        arguments: ["--window", "2s", "--region", "us-east-1", "--stream", "s", "--state", "file://\(readOnly)/s"],
        status: .permissionDenied, says: ["state directory \(readOnly)/s", "Read-only file system"]))
    // Foundation's "volume read-only" error carries no errno: it was exit 1.
    try check(
      Row(
        tool: "kvs-follow",
        arguments: ["--window", "2s", "--region", "us-east-1", "--stream", "s", "--work-dir", "\(readOnly)/w"],
        status: .permissionDenied, says: ["\(readOnly)/w", "read-only file system"]))
  }

  func testGQLMutate() throws {
    try check(
      Row(
        tool: "gql-mutate", arguments: ["--endpoint", "http://127.0.0.1:1/graphql", "--query-file", "/nonexistent/q"],
        status: .noInput, says: ["/nonexistent/q: no such file or directory"]))
  }

  private func check(
    _ row: Row, environment: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line
  ) throws {
    let result = try ToolInvocation.run(
      row.tool, row.arguments, stdin: row.stdin, environment: environment, timeout: 60)
    let what = "\(row.tool) \(row.arguments.joined(separator: " ")): \(result.stderr)"
    XCTAssertEqual(result.status, row.status.rawValue, what, file: file, line: line)
    let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("\(row.tool): error") }
    XCTAssertEqual(errors.count, 1, "one error sentence: \(what)", file: file, line: line)
    for words in row.says {
      XCTAssertTrue(errors.first?.contains(words) == true, "says \"\(words)\": \(what)", file: file, line: line)
    }
    // A local file is refused by its file system: no hint about cloud credentials (blob-rm gave one).
    XCTAssertFalse(result.stderr.contains("credentials"), "no credentials hint: \(what)", file: file, line: line)
    for dump in ["Error Domain", "NSCocoaErrorDomain", "NSPOSIXErrorDomain", "UserInfo", "CocoaError", "POSIXError"] {
      XCTAssertFalse(result.stderr.contains(dump), "no \(dump): \(what)", file: file, line: line)
    }
  }
}
