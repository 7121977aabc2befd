import CCliplineAVCodec
import CCliplineAVFilter
import CCliplineAVFormat
import CCliplineAVUtil
import CCliplineSwScale
import CliplineCrypto
import CliplineHTTP
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

@testable import CliplineMedia

/// Each C handle owner whose open fails: a clean error, no crash, no double free (each owner frees only in deinit).
final class HandleOwnerTests: XCTestCase {
  func testMediaOutputThatCannotBeCreated() throws {
    let scratch = try ScratchDirectory("owner-output")
    let blocked = scratch.file("chunk_001.mp4")
    try FileManager.default.createDirectory(atPath: blocked, withIntermediateDirectories: true)
    XCTAssertThrowsError(try MediaOutput(path: blocked)) { error in
      XCTAssertEqual(describe(error), "cannot create \(blocked): Is a directory")
    }
    XCTAssertThrowsError(try MediaOutput(path: scratch.file("x.mp4"), format: "no-such-format")) { error in
      XCTAssertTrue(describe(error).hasPrefix("avformat_alloc_output_context2 failed"), describe(error))
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.file("x.mp4")), "a failed open leaves no file")
  }

  func testTheIndexMovesToTheFrontWhateverTheBlockOfTheFinishingPass() throws {
    // A 1 KiB block is far smaller than the index, so the pass reads many blocks ahead of its writes; 1 MiB is
    // larger than this whole file. Same bytes, same hash, index first, and the hash is the file's on disk.
    let source = try FixtureVideo.path(.init(seconds: 3, gopFrames: 25))
    let scratch = try ScratchDirectory("owner-finish")
    var hashes: [String] = []
    for (name, block) in [("large-block.mp4", HashedOutputFile.defaultPassBlock), ("small-block.mp4", 1024)] {
      let input = try MediaInput(path: source)
      let output = try MediaOutput(path: scratch.file(name), finishingBlock: block)
      for index in 0..<input.streamCount { _ = try output.addStream(copying: input.stream(index)) }
      try output.writeHeader()
      let packet = Packet()
      while try input.read(into: packet) {
        av_packet_rescale_ts(packet.pointer, input.timeBase(packet.streamIndex), output.timeBase(packet.streamIndex))
        try output.write(packet)
      }
      let written = try output.finish()
      XCTAssertEqual(written.sha256.hexString, try Digest.ofFile(scratch.file(name)).hexString, name)
      let size = try FileManager.default.attributesOfItem(atPath: scratch.file(name))[.size] as? NSNumber
      XCTAssertEqual(written.bytes, size?.int64Value, name)
      let boxes = try MediaAssertions.topLevelBoxes(scratch.file(name))
      XCTAssertLessThan(boxes.firstIndex(of: "moov") ?? .max, boxes.firstIndex(of: "mdat") ?? -1, "\(name): \(boxes)")
      XCTAssertEqual(boxes.filter { $0 == "moov" }.count, 1, "\(name): \(boxes)")
      try MediaAssertions.assertDecodesCleanly(scratch.file(name))
      hashes.append(written.sha256.hexString)
    }
    XCTAssertEqual(hashes[0], hashes[1])
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: scratch.path).sorted(),
      ["large-block.mp4", "small-block.mp4"])
  }

  func testMediaInputThatCannotBeOpened() throws {
    let scratch = try ScratchDirectory("owner-input")
    let garbage = scratch.file("garbage.ts")
    _ = FileManager.default.createFile(
      atPath: garbage, contents: Data([0x47, 0x1F, 0xFF, 0x10] + [UInt8](repeating: 0xFF, count: 184)))
    XCTAssertThrowsError(try MediaInput(path: garbage)) { error in
      XCTAssertEqual(
        describe(error), "avformat_open_input failed for \(garbage): Invalid data found when processing input")
      XCTAssertEqual(ExitStatus.of(error), .dataError)
    }
    XCTAssertThrowsError(try MediaInput(path: scratch.file("absent.mp4"))) { error in
      XCTAssertEqual(ExitStatus.of(error), .noInput)
    }
  }

  func testCodecAndFilterGraphThatCannotBeOpened() throws {
    XCTAssertThrowsError(
      try FilterGraph(bufferArguments: "video_size=320x240:pix_fmt=0:time_base=1/25", filters: "no_such_filter")
    ) { error in
      XCTAssertTrue(describe(error).hasPrefix("avfilter_graph_parse_ptr (no_such_filter) failed"), describe(error))
    }
    let source = try FixtureVideo.path(.init(seconds: 2))
    let segmenter = try Segmenter(sourcePath: source)
    let scratch = try ScratchDirectory("owner-codec")
    XCTAssertThrowsError(
      try segmenter.run(
        boundaries: .none, mode: .transcode(TranscodeSettings(preset: "no-such-preset")),
        into: .files { scratch.file("c\($0).mp4") }, onSegment: { _ in XCTFail("no segment") })
    ) { error in
      XCTAssertTrue(describe(error).hasPrefix("avcodec_open2 (libx264) failed"), describe(error))
      XCTAssertEqual(ExitStatus.of(error), .failure)
    }
  }

  func testScalerThatCannotBeOpened() throws {
    let good: Scaler.Geometry = (320, 240, AV_PIX_FMT_YUV420P)
    // The pixel format -1 cases would abort the process inside libswscale (av_assert0) if they reached it; the
    // last one does reach sws_getContext, which frees its half-built context itself and returns NULL.
    let refused: [(Scaler.Geometry, Scaler.Geometry, String)] = [
      ((0, 0, AV_PIX_FMT_YUV420P), good, "cannot convert 0x0 yuv420p frames to 320x240 yuv420p: a frame size is empty"),
      (
        good, (320, 240, AV_PIX_FMT_NONE),
        "cannot convert 320x240 yuv420p frames to 320x240 pixel format -1: libswscale does not write that pixel format"
      ),
      (
        (320, 240, AV_PIX_FMT_NONE), good,
        "cannot convert 320x240 pixel format -1 frames to 320x240 yuv420p: libswscale does not read that pixel format"
      ),
      (
        (320, 240, AV_PIX_FMT_VAAPI), good,
        "cannot convert 320x240 vaapi frames to 320x240 yuv420p: libswscale does not read that pixel format"
      ),
      (
        (1, 1, AV_PIX_FMT_YUV420P), (100_000, 1, AV_PIX_FMT_RGB24),
        "libswscale cannot convert 1x1 yuv420p frames to 100000x1 rgb24"
      ),
    ]
    for (source, target, message) in refused {
      XCTAssertThrowsError(try Scaler(from: source, to: target)) { error in
        XCTAssertEqual(describe(error), message)
        XCTAssertEqual(ExitStatus.of(error), .dataError)
      }
    }
    // A valid conversion opens after the refusals: they left nothing half-freed behind.
    let scaler = try Scaler(from: good, to: (160, 120, AV_PIX_FMT_RGB24))
    XCTAssertNotNil(scaler.pointer)
  }

  func testCurlHandleSurvivesATransferThatCannotStart() throws {
    let scratch = try ScratchDirectory("owner-curl")
    _ = FileManager.default.createFile(atPath: scratch.file("hello.txt"), contents: Data("hello".utf8))
    let server = try StaticHTTPServer(directory: scratch.path)
    defer { server.stop() }
    let client = HTTPClient()
    XCTAssertThrowsError(try client.send(HTTPRequest(url: "nosuchscheme://127.0.0.1/x"))) { error in
      XCTAssertTrue(error is HTTPTransportError, describe(error))
    }
    // The same handle goes on to a good transfer: the failure freed nothing it still owns.
    let response = try client.send(HTTPRequest(url: "\(server.baseURL)/hello.txt"))
    XCTAssertEqual(response.status, 200)
    XCTAssertEqual(response.body, Array("hello".utf8))
  }
}
