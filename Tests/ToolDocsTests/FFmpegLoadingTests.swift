import CliplineTestSupport
import Foundation
import XCTest

/// One binary holds every tool, but only the tools that open media load FFmpeg's libraries, when they do: the
/// binary links none of them, references their functions weakly and binds them lazily (FFmpegLibraries).
final class FFmpegLoadingTests: XCTestCase {
  static let ffmpegLibraries = ["libavutil", "libavcodec", "libavformat", "libavfilter", "libswscale"]

  /// The shared objects a run loaded, as ld.so reports them (LD_DEBUG=files), dlopen included.
  func loadedLibraries(_ tool: String, _ arguments: [String], stdin: String = "") throws -> (ToolResult, String) {
    try ToolInvocation.runListingLoads(tool, arguments, stdin: stdin)
  }

  func testTheBinaryLinksNoFFmpegAndBindsItsFunctionsOnlyLazily() throws {
    let path = ToolInvocation.path(of: "clipline")
    let dynamic = try ToolInvocation.runProcess("/usr/bin/readelf", ["-dW", path])
    XCTAssertEqual(dynamic.status, 0, dynamic.stderr)
    for library in Self.ffmpegLibraries { XCTAssertFalse(dynamic.stdout.contains(library), dynamic.stdout) }
    XCTAssertFalse(dynamic.stdout.contains("BIND_NOW") || dynamic.stdout.contains("NOW"), "linked with -z now")
    // A reference bound at start (an address taken: GLOB_DAT, a pointer in data: R_X86_64_64) would stay null
    // after FFmpeg is loaded; only PLT slots (JUMP_SLOT), bound at their first call, work.
    let relocations = try ToolInvocation.runProcess("/usr/bin/readelf", ["-rW", path])
    let ffmpeg = relocations.stdout.split(separator: "\n").filter { line in
      line.split(separator: " ").contains { $0.hasPrefix("av") || $0.hasPrefix("sws_") || $0.hasPrefix("swscale_") }
    }
    XCTAssertGreaterThan(ffmpeg.count, 50, "FFmpeg's functions are references of the binary")
    for line in ffmpeg { XCTAssertTrue(line.contains("R_X86_64_JUMP_SLOT"), String(line)) }
  }

  func testOnlyATaskThatOpensMediaLoadsFFmpeg() throws {
    let (shaped, quiet) = try loadedLibraries("clipline", ["record-shape", "--keep", "a"], stdin: #"{"a":1}"# + "\n")
    XCTAssertEqual(shaped.stdout, #"{"a":1}"# + "\n", shaped.stderr)
    XCTAssertFalse(quiet.contains("libavformat"), quiet)
    let (help, helpLoads) = try loadedLibraries("clipline", ["chunk", "--help"])
    XCTAssertEqual(help.status, 0)
    XCTAssertFalse(helpLoads.contains("libavformat"), "chunk --help loads no FFmpeg")

    let scratch = try ScratchDirectory("ffmpeg-loading")
    let video = try FixtureVideo.path(FixtureVideo.Spec(seconds: 4, width: 160, height: 120))
    let (cut, loads) = try loadedLibraries(
      "clipline", ["chunk", "--source", video, "--chunk-duration", "2", "--mode", "transcode", "-o", scratch.path])
    XCTAssertEqual(cut.status, 0, cut.stderr.split(separator: "\n").filter { !$0.contains("file=") }.joined())
    XCTAssertEqual(try cut.records().count, 2)
    for library in Self.ffmpegLibraries { XCTAssertTrue(loads.contains(library), "\(library) loaded by chunk") }
  }

  /// A tool that only copies streams (chunk's copy mode, kvs-follow, kvs-clip) makes no filter graph, so it loads no
  /// libavfilter and none of the thirty-odd libraries that brings (about 11 MB of RSS).
  func testCopyingStreamsLoadsNoFilterLibrary() throws {
    let scratch = try ScratchDirectory("ffmpeg-copy-loading")
    let video = try FixtureVideo.path(FixtureVideo.Spec(seconds: 4, width: 160, height: 120))
    let (cut, loads) = try loadedLibraries(
      "clipline", ["chunk", "--source", video, "--chunk-duration", "2", "--mode", "copy", "-o", scratch.path])
    XCTAssertEqual(cut.status, 0, cut.stderr.split(separator: "\n").filter { !$0.contains("file=") }.joined())
    XCTAssertEqual(try cut.records().count, 2)
    for library in Self.ffmpegLibraries where library != "libavfilter" {
      XCTAssertTrue(loads.contains(library), "\(library) loaded by chunk --mode copy")
    }
    XCTAssertFalse(loads.contains("libavfilter"), "chunk --mode copy loaded libavfilter")
    XCTAssertFalse(loads.contains("libflite"), "chunk --mode copy loaded libflite")
  }

  /// With every symbol bound at start the weak references stay null: a tool that opens media refuses with one
  /// sentence and 78 instead of crashing, and the others run as usual.
  func testBindingEverythingAtStartIsRefusedBeforeAnyFFmpegCall() throws {
    let video = try FixtureVideo.path(FixtureVideo.Spec(seconds: 4, width: 160, height: 120))
    let scratch = try ScratchDirectory("ffmpeg-bind-now")
    let refused = try ToolInvocation.run(
      "clipline", ["chunk", "--source", video, "-o", scratch.path], environment: ["LD_BIND_NOW": "1"])
    XCTAssertEqual(refused.status, 78, refused.stderr)
    XCTAssertEqual(refused.stdout, "")
    XCTAssertTrue(refused.stderr.contains("LD_BIND_NOW"), refused.stderr)
    let shaped = try ToolInvocation.run(
      "clipline", ["record-shape", "--keep", "a"], stdin: #"{"a":1}"# + "\n", environment: ["LD_BIND_NOW": "1"])
    XCTAssertEqual(shaped.status, 0, shaped.stderr)
  }

  /// A machine without FFmpeg (here: libavformat hidden by a bind mount in a mount namespace of our own) runs the
  /// tools that need none, and chunk names the library it could not load, exit 78.
  func testWithoutFFmpegChunkNamesWhatIsMissingAndTheOthersRun() throws {
    let video = try FixtureVideo.path(FixtureVideo.Spec(seconds: 4, width: 160, height: 120))
    let scratch = try ScratchDirectory("ffmpeg-missing")
    let library = try ToolInvocation.runProcess(
      "/bin/sh", ["-c", "ldconfig -p | sed -n 's/.*libavformat.so.[0-9]* (.*) => //p' | head -1"]
    ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    XCTAssertFalse(library.isEmpty, "libavformat is installed")
    let hidden = "mount --bind /dev/null \(library) && exec \"$@\""
    let chunk = try ToolInvocation.runProcess(
      "/usr/bin/unshare",
      [
        "-m", "/bin/sh", "-c", hidden, "sh", ToolInvocation.path(of: "clipline"), "chunk", "--source", video, "-o",
        scratch.path,
      ])
    XCTAssertEqual(chunk.status, 78, chunk.stderr)
    XCTAssertTrue(chunk.stderr.contains("libavformat.so."), chunk.stderr)
    XCTAssertEqual(chunk.stderr.split(separator: "\n").count, 1, chunk.stderr)
    let shaped = try ToolInvocation.runProcess(
      "/usr/bin/unshare",
      ["-m", "/bin/sh", "-c", hidden, "sh", ToolInvocation.path(of: "clipline"), "record-shape", "--keep", "a"],
      stdin: Data((#"{"a":1,"b":2}"# + "\n").utf8))
    XCTAssertEqual(shaped.stdout, #"{"a":1}"# + "\n", shaped.stderr)
  }
}
