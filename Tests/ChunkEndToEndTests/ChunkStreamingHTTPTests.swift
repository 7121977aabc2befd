import CliplineMedia
import CliplineRecords
import CliplineSources
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// `chunk` cuts an http(s) source while it downloads: the first record leaves before the last byte has arrived,
/// and the chunks are the ones a local cut makes.
final class ChunkStreamingHTTPTests: XCTestCase {
  let chunkDuration = 4

  func fixture() throws -> String { try FixtureVideo.path(.init(seconds: 16, width: 640, height: 360, gopFrames: 25)) }

  func hashes(_ records: [Record]) -> [String] { records.compactMap { $0["chunk_hash"]?.stringValue } }

  func testFirstRecordLeavesBeforeTheDownloadEndsAndChunksEqualALocalCut() throws {
    let source = try fixture()
    let server = try TrickleServer(directory: (source as NSString).deletingLastPathComponent)
    let scratch = try ScratchDirectory("trickle")
    let url = "\(server.baseURL)/\((source as NSString).lastPathComponent)?kb=128&hold=1"
    let tool = try RunningTool(
      "chunk", ["--source", url, "--chunk-duration", String(chunkDuration), "-o", scratch.path])
    let first = tool.read(lines: 1)
    let status = try server.status()
    // The server keeps the last 64 KB until released, so no transfer can have ended yet.
    XCTAssertEqual(status.completed, 0, "the first record left before the download ended")
    let firstLine = String(decoding: first, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
    XCTAssertEqual(try Record(json: firstLine)["chunk_id"], 1)
    try server.release()
    let all = first + tool.finish()
    XCTAssertEqual(tool.status, 0)
    let records = try String(decoding: all, as: UTF8.self).split(separator: "\n").map { try Record(json: String($0)) }
    XCTAssertEqual(hashes(records), try ChunkReference.hashes(of: source, chunkDuration: chunkDuration))
    XCTAssertEqual(try server.status().completed, 1)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.hasPrefix("source-") }
    XCTAssertEqual(leftovers, [], "the downloaded copy is removed after cutting")
  }

  func testAnIndexAtTheEndIsFetchedWithARangedGET() throws {
    try assertCutsAnIndexAtTheEnd(ranges: true, saying: "fetched the rest with a ranged GET")
  }

  func testAnIndexAtTheEndOfAServerWithoutRangesWaitsForTheWholeDownload() throws {
    try assertCutsAnIndexAtTheEnd(ranges: false, saying: "which ignores ranges: cutting waits for the whole download")
  }

  /// A moov-at-end copy of the fixture, served slowly, is cut like the local file, and --verbose says how.
  func assertCutsAnIndexAtTheEnd(ranges: Bool, saying sentence: String, line: UInt = #line) throws {
    let scratch = try ScratchDirectory("moov-http")
    let source = try ChunkReference.moovAtEnd(try fixture(), in: scratch.path)
    let server = try TrickleServer(directory: scratch.path, ranges: ranges)
    let result = try ToolInvocation.run(
      "chunk",
      [
        "--verbose", "--source", "\(server.baseURL)/moov-at-end.mp4?kb=256", "--chunk-duration", String(chunkDuration),
        "-o", scratch.file("out"),
      ])
    XCTAssertEqual(result.status, 0, result.stderr, line: line)
    XCTAssertTrue(result.stderr.contains(sentence), result.stderr, line: line)
    XCTAssertTrue(result.stderr.contains("keeps its index at the end"), result.stderr, line: line)
    XCTAssertEqual(
      hashes(try result.records()), try ChunkReference.hashes(of: source, chunkDuration: chunkDuration), line: line)
  }

  /// The server cuts the connection halfway, on every attempt: the download's error and exit code, the chunks
  /// already emitted valid and identical to a local cut, no partial chunk and no source copy left.
  func testADownloadThatFailsMidwayReportsItsErrorAndKeepsTheEmittedChunks() throws {
    let source = try fixture()
    let size = try FileManager.default.attributesOfItem(atPath: source)[.size] as! NSNumber
    let server = try TrickleServer(directory: (source as NSString).deletingLastPathComponent)
    let scratch = try ScratchDirectory("midway")
    let url = "\(server.baseURL)/\((source as NSString).lastPathComponent)?kb=512&fail_at=\(size.intValue / 2)"
    let result = try ToolInvocation.run(
      "chunk", ["-o", scratch.path], stdin: #"{"process_id":"m","cloud_stream_path":"\#(url)"}"# + "\n")
    XCTAssertEqual(result.status, ExitStatus.temporaryFailure.rawValue, result.stderr)
    XCTAssertTrue(result.stderr.contains("chunk: error (line 1): Transferred a partial file"), result.stderr)
    let records = try result.records()
    XCTAssertEqual(records.count, 0, "one 60 s chunk cannot be complete from half of a 16 s source")

    let short = try ToolInvocation.run(
      "chunk", ["-o", scratch.path, "--chunk-duration", "2"],
      stdin: #"{"process_id":"n","cloud_stream_path":"\#(url)"}"# + "\n")
    XCTAssertEqual(short.status, ExitStatus.temporaryFailure.rawValue, short.stderr)
    let emitted = try short.records()
    XCTAssertFalse(emitted.isEmpty, "chunks from the first half were emitted")
    let reference = try ChunkReference.hashes(of: source, chunkDuration: 2)
    XCTAssertEqual(hashes(emitted), Array(reference.prefix(emitted.count)))
    let paths = emitted.compactMap { $0["chunk_path"]?.stringValue }
    for path in paths { try MediaAssertions.assertDecodesCleanly(path) }
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: scratch.file("n")).sorted(),
      paths.map { ($0 as NSString).lastPathComponent }, "no partial chunk is left behind")
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.hasPrefix("source-") }, [],
      "the partial source copy is removed")
  }

  /// The connection drops once, halfway: the retry asks for the rest with a ranged GET instead of starting over,
  /// and the chunks are those of a local cut. (It used to fetch the whole file again.)
  func testADownloadCutOnceResumesFromWhereItStopped() throws {
    let source = try fixture()
    let size = (try FileManager.default.attributesOfItem(atPath: source)[.size] as! NSNumber).intValue
    let server = try TrickleServer(directory: (source as NSString).deletingLastPathComponent)
    let scratch = try ScratchDirectory("resume")
    let url = "\(server.baseURL)/\((source as NSString).lastPathComponent)?kb=512&fail_once_at=\(size / 2)"
    let result = try ToolInvocation.run(
      "chunk", ["--verbose", "--source", url, "--chunk-duration", String(chunkDuration), "-o", scratch.path])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(hashes(try result.records()), try ChunkReference.hashes(of: source, chunkDuration: chunkDuration))
    XCTAssertTrue(result.stderr.contains("with a ranged GET"), result.stderr)
    let traffic = try server.traffic()
    let resumedFrom = traffic.ranges.compactMap { range -> Int? in
      guard range.hasPrefix("bytes="), range.hasSuffix("-") else { return nil }
      return Int(range.dropFirst(6).dropLast())
    }
    XCTAssertEqual(resumedFrom.count, 1, "one ranged retry: \(traffic.ranges)")
    XCTAssertGreaterThan(resumedFrom.first ?? 0, size / 4, "it went on from what had arrived: \(traffic.ranges)")
    XCTAssertLessThan(traffic.bytesSent, size + size / 4, "the first half was not sent again")
  }
}

/// The AVIO owner opens over a file that exists, or throws before it owns anything.
final class GrowingSourceOpenTests: XCTestCase {
  func testOpeningAGrowingSourceWhoseFileIsMissingThrowsNoInput() throws {
    let scratch = try ScratchDirectory("avio")
    let file = GrowingFile(path: scratch.file("absent.mp4"))
    XCTAssertThrowsError(try Segmenter(arrivingSource: file)) { error in
      XCTAssertEqual(ExitStatus.of(error), .noInput, "\(error)")
    }
  }

  func testAFailedDownloadEndsTheOpenWithItsError() throws {
    let scratch = try ScratchDirectory("avio-fail")
    let path = scratch.file("partial.mp4")
    XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(count: 4096)))
    let file = GrowingFile(path: path)
    file.setSize(1 << 20)
    file.fail(DownloadCancelled())
    XCTAssertThrowsError(try Segmenter(arrivingSource: file)) { error in
      XCTAssertTrue("\(error)".contains("Input/output error"), "\(error)")
    }
  }
}
