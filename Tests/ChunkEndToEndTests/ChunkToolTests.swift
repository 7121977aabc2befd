import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// The built `chunk` binary, as a shell pipeline runs it: stdin, stdout, stderr, exit code.
final class ChunkToolTests: XCTestCase {
  func testCutsARequestFromStdinAndWritesOneRecordPerChunk() throws {
    let source = try FixtureVideo.path(.init(seconds: 9, gopFrames: 25))
    let out = try ScratchDirectory("tool")
    let result = try ToolInvocation.run(
      "chunk", ["-o", out.path],
      stdin:
        #"{"process_id":101,"inference_modality":"batch","cloud_stream_path":"file://\#(source)","destination_prefix":"processed/101/","cache_container_name":"spectra-cache","video_preprocessing":{"chunk_duration":3},"inference_config":{"vlm_provider":"bedrock"}}"#
        + "\n")
    XCTAssertEqual(result.status, 0, result.stderr)
    let records = try result.records()
    XCTAssertEqual(records.map { $0["chunk_id"]?.integerValue }, [1, 2, 3])
    XCTAssertEqual(records.map { $0["chunk_path"]?.stringValue }, (1...3).map { "\(out.path)/101/chunk_00\($0).mp4" })
    for record in records {
      XCTAssertEqual(record["destination_prefix"], "processed/101/")
      XCTAssertEqual(record["source_stream_path"], .string("file://\(source)"))
      XCTAssertNil(record["cloud_stream_path"])
      XCTAssertEqual(record["inference_config"], JSONValue.object(["vlm_provider": "bedrock"]))
    }
    XCTAssertTrue(result.stderr.contains("chunk: cut"), result.stderr)
  }

  func testSourceFlagAndWorkDirectoryFromTheEnvironment() throws {
    let source = try FixtureVideo.path(.init(seconds: 4, gopFrames: 25))
    let work = try ScratchDirectory("workdir")
    let result = try ToolInvocation.run(
      "chunk", ["--source", source, "--chunk-duration", "2s", "--quiet"],
      environment: [WorkDirectory.environmentVariable: work.path])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(result.stderr, "", "--quiet says nothing on success")
    XCTAssertEqual(
      try result.records().compactMap { $0["chunk_path"]?.stringValue }.map { $0.hasPrefix(work.path) }, [true, true])
  }

  func testWorkDirIsTheSpellingAndOutputDirectoryStillWorks() throws {
    let source = try FixtureVideo.path(.init(seconds: 4, gopFrames: 25))
    for flag in ["--work-dir", "--output-directory"] {
      let work = try ScratchDirectory("flag" + flag)
      let result = try ToolInvocation.run("chunk", ["--source", source, "--chunk-duration", "2s", flag, work.path])
      XCTAssertEqual(result.status, 0, result.stderr)
      XCTAssertEqual(
        try result.records().compactMap { $0["chunk_path"]?.stringValue }.map { $0.hasPrefix(work.path) }, [true, true])
    }
    let help = try ToolInvocation.run("chunk", ["--help"])
    XCTAssertTrue(help.stdout.contains("--work-dir"))
    XCTAssertFalse(help.stdout.contains("--output-directory"), "the old spelling is a hidden alias")
  }

  func testDownloadsAnHTTPSourceIntoTheWorkDirectoryAndRemovesIt() throws {
    let source = try FixtureVideo.path(.init(seconds: 6, gopFrames: 25))
    let server = try StaticHTTPServer(directory: (source as NSString).deletingLastPathComponent)
    defer { server.stop() }
    let work = try ScratchDirectory("http")
    let url = "\(server.baseURL)/\((source as NSString).lastPathComponent)"
    let result = try ToolInvocation.run(
      "chunk", ["-o", work.path],
      stdin: #"{"process_id":"h","cloud_stream_path":"\#(url)","video_preprocessing":{"chunk_duration":3}}"#)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(try result.records().count, 2)
    XCTAssertEqual(try result.records().first?["source_stream_path"]?.stringValue, url)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: work.path).filter { $0.hasPrefix("source-") }
    XCTAssertEqual(leftovers, [], "the downloaded copy is removed after cutting")

    let missing = try ToolInvocation.run(
      "chunk", ["-o", work.path], stdin: #"{"cloud_stream_path":"\#(server.baseURL)/nope.mp4"}"#)
    XCTAssertEqual(missing.status, ExitStatus.noInput.rawValue, missing.stderr)
    XCTAssertTrue(missing.stderr.contains("chunk: error (line 1): HTTP 404"), missing.stderr)
  }

  func testUnreachableURLIsServiceUnavailable() throws {
    let result = try ToolInvocation.run(
      "chunk", ["-o", try ScratchDirectory("down").path],
      stdin: #"{"cloud_stream_path":"http://127.0.0.1:9/video.mp4"}"#)
    XCTAssertEqual(result.status, ExitStatus.unavailable.rawValue, result.stderr)
    XCTAssertTrue(result.stderr.contains("(line 1)"), result.stderr)
    XCTAssertEqual(result.stdout, "")
  }

  func testBadInputsGetASentenceTheirExitCodeAndNoRecord() throws {
    let scratch = try ScratchDirectory("bad")
    let corrupt = scratch.file("corrupt.mp4")
    XCTAssertTrue(
      FileManager.default.createFile(
        atPath: corrupt, contents: Data((0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })))
    let audioOnly = scratch.file("audio.m4a")
    try MediaAssertions.makeWithFFmpeg(
      ["-f", "lavfi", "-i", "sine=duration=2", "-c:a", "aac", audioOnly])

    let cases: [(stdin: String, status: ExitStatus, message: String)] = [
      ("this is not json", .dataError, "chunk: error (line 1): not a JSON object"),
      (#"{"process_id":1}"#, .dataError, #"chunk: error (line 1): field "cloud_stream_path" is missing"#),
      (#"{"cloud_stream_path":"\#(scratch.file("absent.mp4"))"}"#, .noInput, "absent.mp4"),
      (#"{"cloud_stream_path":"\#(corrupt)"}"#, .dataError, "Invalid data found when processing input"),
      (#"{"cloud_stream_path":"\#(audioOnly)"}"#, .dataError, "has no video stream"),
      (#"{"cloud_stream_path":"ftp://host/x.mp4"}"#, .dataError, "is not a storage URL"),
      (
        #"{"cloud_stream_path":"\#(corrupt)","video_preprocessing":{"chunk_duration":0}}"#, .dataError,
        #"field "video_preprocessing.chunk_duration" must be between 1 and 86400 s, found"#
      ),
    ]
    for (stdin, status, message) in cases {
      let result = try ToolInvocation.run("chunk", ["-o", scratch.path], stdin: stdin + "\n")
      XCTAssertEqual(result.status, status.rawValue, "\(stdin): \(result.stderr)")
      XCTAssertTrue(result.stderr.contains(message), "\(stdin): expected «\(message)» in «\(result.stderr)»")
      XCTAssertEqual(result.stdout, "", stdin)
    }
  }

  func testABadLineDoesNotStopTheOthers() throws {
    let source = try FixtureVideo.path(.init(seconds: 4, gopFrames: 25))
    let scratch = try ScratchDirectory("mixed")
    let stdin = [
      #"{"process_id":"a","cloud_stream_path":"\#(source)","video_preprocessing":{"chunk_duration":2}}"#,
      #"{"process_id":"b"}"#,
      #"{"process_id":"c","cloud_stream_path":"\#(source)","video_preprocessing":{"chunk_duration":4}}"#,
    ].joined(separator: "\n")
    let result = try ToolInvocation.run("chunk", ["-o", scratch.path], stdin: stdin)
    XCTAssertEqual(result.status, ExitStatus.dataError.rawValue)
    XCTAssertEqual(try result.records().map { $0["process_id"]?.stringValue }, ["a", "a", "c"])
    XCTAssertTrue(
      result.stderr.contains(#"chunk: error (line 2): field "cloud_stream_path" is missing"#), result.stderr)
    XCTAssertTrue(result.stderr.contains("chunk: error: 1 of 3 records failed"), result.stderr)
  }

  func testTruncatedFileKeepsEmittedChunksAndDeletesThePartialOne() throws {
    let source = try FixtureVideo.path(.init(seconds: 20, gopFrames: 25))
    let scratch = try ScratchDirectory("truncated")
    let truncated = scratch.file("truncated.mp4")
    let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
    try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
    let result = try ToolInvocation.run(
      "chunk", ["-o", scratch.path],
      stdin: #"{"process_id":"t","cloud_stream_path":"\#(truncated)","video_preprocessing":{"chunk_duration":3}}"#)
    XCTAssertEqual(result.status, ExitStatus.dataError.rawValue, result.stderr)
    XCTAssertTrue(result.stderr.contains("is truncated"), result.stderr)
    try MediaAssertions.assertOnlyEmittedChunksRemain(result, in: scratch.file("t"))
  }

  func testProgressIsShownOnATerminalOnly() throws {
    let source = try FixtureVideo.path(.init(seconds: 4, gopFrames: 25))
    let scratch = try ScratchDirectory("progress")
    let piped = try ToolInvocation.run("chunk", ["--source", source, "--chunk-duration", "2", "-o", scratch.path])
    XCTAssertEqual(piped.status, 0, piped.stderr)
    XCTAssertFalse(piped.stderr.contains("of 2 cut"), "no progress line in a pipe: \(piped.stderr)")
    // `script` runs the tool on a pseudo-terminal, as an operator's shell would.
    let command = "\(ToolInvocation.path(of: "chunk")) --source \(source) --chunk-duration 2 -o \(scratch.path)"
    let onTerminal = try ToolInvocation.runProcess("/usr/bin/script", ["-qec", command, "/dev/null"])
    XCTAssertEqual(onTerminal.status, 0, onTerminal.stdout)
    XCTAssertTrue(onTerminal.stdout.contains("chunk: chunk 1 of 2 cut"), onTerminal.stdout)
    XCTAssertTrue(onTerminal.stdout.contains("\r\u{1B}[K"), "the progress line is rewritten in place")
  }

  func testUsageErrorsExit64() throws {
    let result = try ToolInvocation.run("chunk", ["--chunk-duration", "0"])
    XCTAssertEqual(result.status, ExitStatus.usage.rawValue)
    XCTAssertTrue(result.stderr.contains("--chunk-duration must be between 1 s and 24 h"), result.stderr)
  }
}

/// SIGTERM in the middle of a cut: the chunks already reported stay, the partial one goes, exit 75.
final class ChunkShutdownTests: XCTestCase {
  func testSIGTERMStopsCleanly() throws { try stopMidCut(by: SIGTERM) }

  /// SIGHUP: the same (no chunk without its record at its final name).
  func testSIGHUPStopsCleanly() throws { try stopMidCut(by: SIGHUP) }

  private func stopMidCut(by signal: Int32) throws {
    let source = try FixtureVideo.path(.init(seconds: 60, width: 640, height: 360, gopFrames: 25))
    let scratch = try ScratchDirectory("sigterm")
    let tool = try RunningTool("chunk", ["-o", scratch.path, "--mode", "transcode", "--preset", "medium"])
    try tool.write(
      #"{"process_id":"s","cloud_stream_path":"\#(source)","video_preprocessing":{"chunk_duration":2,"width":640,"height":360}}"#
    )
    try tool.closeInput()
    // Wait for the first record, then ask the tool to stop.
    let firstLine = tool.read(lines: 1)
    tool.signal(signal)
    let rest = tool.finish()
    XCTAssertEqual(tool.process.terminationReason, .exit, "signal \(signal) is handled, not a death by it")
    XCTAssertEqual(tool.status, ExitStatus.temporaryFailure.rawValue)
    let emitted = String(decoding: firstLine + rest, as: UTF8.self).split(separator: "\n")
      .compactMap { try? Record(json: String($0)) }.compactMap { $0["chunk_path"]?.stringValue }
    XCTAssertFalse(emitted.isEmpty)
    XCTAssertLessThan(emitted.count, 30, "stopped before the end")
    let onDisk = try FileManager.default.contentsOfDirectory(atPath: scratch.file("s")).sorted()
    XCTAssertEqual(onDisk, emitted.map { ($0 as NSString).lastPathComponent }, "no partial chunk is left behind")
  }

  func testSIGTERMStopsInsideOnePacketsFrames() throws {
    // Two source frames 300 s apart, resampled to 240 fps: one packet becomes 72,000 frames. The stop request
    // must be seen between those frames, not only between packets (nor only before the flush at the end).
    let scratch = try ScratchDirectory("sigterm-frames")
    let source = scratch.file("two-frames.mp4")
    try MediaAssertions.makeWithFFmpeg(
      [
        "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=1/300:duration=600", "-c:v", "libx264",
        "-preset", "ultrafast", source,
      ])
    let tool = try RunningTool("chunk", ["-o", scratch.path, "--mode", "transcode"])
    try tool.write(
      #"{"process_id":"f","cloud_stream_path":"\#(source)","video_preprocessing":{"chunk_duration":1,"fps":240}}"#)
    try tool.closeInput()
    let firstLine = tool.read(lines: 1)
    tool.terminate()
    let rest = tool.finish()
    XCTAssertEqual(tool.status, ExitStatus.temporaryFailure.rawValue)
    let emitted = String(decoding: firstLine + rest, as: UTF8.self).split(separator: "\n").count
    XCTAssertGreaterThan(emitted, 0)
    XCTAssertLessThan(emitted, 100, "stopped within the packet's 600 chunks")
  }
}
