import CliplineMedia
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// `chunk | contact-sheet`: one PNG, judged by ffprobe and ffmpeg (the pixels of each tile), and the thumbnail
/// that shares its code path.
final class ContactSheetTests: XCTestCase {
  func testSheetOfFourChunksHasTheLayoutsSizeAndFourDifferentPictures() throws {
    let source = try FixtureVideo.path(.init(seconds: 12, gopFrames: 25))
    let work = try ScratchDirectory("sheet")
    let chunks = try ToolInvocation.run("chunk", ["--source", source, "--chunk-duration", "3s", "-o", work.path, "-q"])
    XCTAssertEqual(chunks.status, 0, chunks.stderr)
    XCTAssertEqual(try chunks.records().count, 4)

    let sheet = work.file("sheet.png")
    let result = try ToolInvocation.run("contact-sheet", ["-o", sheet, "--columns", "3"], stdin: chunks.stdout)
    XCTAssertEqual(result.status, 0, result.stderr)

    // 320x240 video at 240 px wide: 180 px tiles; 3 columns, 2 rows, one 18 px label line, 8 px gaps.
    let width = 3 * 240 + 4 * 8
    let height = 2 * (180 + 4 + 18) + 3 * 8
    XCTAssertEqual(
      try result.records(),
      [
        Record([
          "contact_sheet_path": .string(sheet), "contact_sheet_width": .integer(Int64(width)),
          "contact_sheet_height": .integer(Int64(height)), "tiles": 4,
        ])
      ])
    let stream = try MediaAssertions.videoStream(sheet)
    XCTAssertEqual(stream["codec_name"] as? String, "png")
    XCTAssertEqual(stream["width"] as? Int, width)
    XCTAssertEqual(stream["height"] as? Int, height)

    let pixels = try Self.rgbPixels(sheet)
    XCTAssertEqual(pixels.count, width * height * 3)
    func tile(_ index: Int) -> [UInt8] {
      let x = 8 + (index % 3) * (240 + 8)
      let y = 8 + (index / 3) * (202 + 8)
      var bytes: [UInt8] = []
      for row in y..<(y + 180) {
        let start: Int = (row * width + x) * 3
        bytes += pixels[start..<(start + 240 * 3)]
      }
      return bytes
    }
    let tiles = (0..<4).map(tile)
    for (index, picture) in tiles.enumerated() {
      XCTAssertGreaterThan(Set(picture).count, 16, "tile \(index) holds a picture, not the background")
      for other in tiles.indices where other > index {
        XCTAssertNotEqual(picture, tiles[other], "tiles \(index) and \(other) show different moments")
      }
    }
    // The label under the first tile has lit text pixels; the empty sixth cell is background only.
    let labelRow = 8 + 180 + 4 + 6
    XCTAssertTrue((8..<248).contains { pixels[(labelRow * width + $0) * 3] == 0xF0 }, "a label is drawn")
    let empty = tile(5)
    XCTAssertEqual(Set(empty), [0x20], "the sixth cell is empty")
  }

  func testStoredChunksAreReadFromTheirURLAndMakeTheSameSheet() throws {
    let source = try FixtureVideo.path(.init(seconds: 6, gopFrames: 25))
    let work = try ScratchDirectory("sheet-url")
    let chunks = try ToolInvocation.run("chunk", ["--source", source, "--chunk-duration", "3s", "-o", work.path, "-q"])
    XCTAssertEqual(chunks.status, 0, chunks.stderr)
    let stored = try chunks.records().map { record -> String in
      var message = record
      message["cloud_stream_path"] = .string("file://" + (try record.requireString("chunk_path")))
      message["chunk_path"] = nil
      return message.jsonText
    }
    let fromFiles = try ToolInvocation.run("contact-sheet", ["-o", work.file("a.png")], stdin: chunks.stdout)
    let fromURLs = try ToolInvocation.run(
      "contact-sheet", ["-o", work.file("b.png")], stdin: stored.joined(separator: "\n") + "\n")
    XCTAssertEqual(fromFiles.status, 0, fromFiles.stderr)
    XCTAssertEqual(fromURLs.status, 0, fromURLs.stderr)
    XCTAssertEqual(
      try Data(contentsOf: URL(fileURLWithPath: work.file("a.png"))),
      try Data(contentsOf: URL(fileURLWithPath: work.file("b.png"))))
  }

  func testARecordWithoutAVideoIsNamedAndNoSheetIsWritten() throws {
    let work = try ScratchDirectory("sheet-bad")
    let result = try ToolInvocation.run("contact-sheet", ["-o", work.file("x.png")], stdin: #"{"chunk_id":1}"# + "\n")
    XCTAssertEqual(result.status, 65, result.stderr)
    XCTAssertTrue(result.stderr.contains(#"error (line 1): field "cloud_stream_path" is missing"#), result.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: work.file("x.png")))
  }

  func testThumbnailIsAJPEGOfTheRequestedWidth() throws {
    let source = try FixtureVideo.path(.init(seconds: 4, gopFrames: 25))
    let work = try ScratchDirectory("thumb")
    try Thumbnailer.writeJPEG(from: source, to: work.file("t.jpg"), at: 1.5, width: 160)
    let stream = try MediaAssertions.videoStream(work.file("t.jpg"))
    XCTAssertEqual(stream["codec_name"] as? String, "mjpeg")
    XCTAssertEqual(stream["width"] as? Int, 160)
    XCTAssertEqual(stream["height"] as? Int, 120)
  }

  /// The PNG decoded by ffmpeg to raw RGB bytes.
  static func rgbPixels(_ path: String) throws -> [UInt8] {
    let output = path + ".rgb"
    let result = try ToolInvocation.runProcess(
      "/usr/bin/ffmpeg", ["-v", "error", "-y", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", output])
    guard result.status == 0 else { throw TestFailure("ffmpeg could not decode \(path): \(result.stderr)") }
    return [UInt8](try Data(contentsOf: URL(fileURLWithPath: output)))
  }
}
