internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale
import Foundation

/// One PNG with a thumbnail per video (a job's chunks) and a few lines of text under each: made in process
/// with the same decode and scale steps as `Thumbnailer` (`StillFrame`), tiled onto one RGB canvas, labelled
/// with a built-in bitmap font and encoded by libavcodec's png encoder.
public enum ContactSheet {
  public struct Tile: Sendable, Equatable {
    public var videoPath: String
    /// Seconds into the video for its picture; nil takes the first frame.
    public var at: Double?
    /// Lines of text under the picture (digits, letters, `: . - + # / _`; lower case is drawn as capitals).
    public var label: [String]

    public init(videoPath: String, at: Double? = nil, label: [String]) {
      self.videoPath = videoPath
      self.at = at
      self.label = label
    }
  }

  public struct Layout: Sendable, Equatable {
    public var columns = 4
    /// Thumbnail width; the height follows the first video's aspect ratio.
    public var tileWidth = 240
    /// Space around and between the cells, in pixels.
    public var gap = 8
    /// Text is the 5x7 font at this many pixels per font pixel.
    public var textScale = 2

    public init(columns: Int = 4, tileWidth: Int = 240) {
      self.columns = columns
      self.tileWidth = tileWidth
    }

    /// One line of text: the font's height and a line gap.
    public var lineHeight: Int { (BitmapFont.glyphHeight + 2) * textScale }

    /// The sheet's size for `tiles` thumbnails of `tileHeight` with `labelLines` lines under each.
    public func size(tiles: Int, tileHeight: Int, labelLines: Int) -> (width: Int, height: Int) {
      let columns = max(1, min(self.columns, tiles))
      let rows = (tiles + columns - 1) / columns
      let cellHeight = tileHeight + gap / 2 + labelLines * lineHeight
      return (columns * tileWidth + (columns + 1) * gap, rows * cellHeight + (rows + 1) * gap)
    }
  }

  /// The picture and text of a chunk record's tile: `#3  120.00-180.00 S`, and for live chunks the wall-clock times.
  public static func chunkLabel(id: String, start: Double?, end: Double?, startTime: String?, endTime: String?)
    -> [String]
  {
    var lines = ["#\(id)"]
    if let start, let end { lines[0] += String(format: "  %.2f-%.2f S", start, end) }
    if let startTime {
      lines.append(clock(startTime) + (endTime.map { "-" + clock($0) } ?? ""))
    }
    return lines
  }

  /// `2026-02-26T14:30:20Z` as `14:30:20Z`: the date is the same for a job's chunks.
  private static func clock(_ time: String) -> String {
    guard let t = time.firstIndex(of: "T") else { return time }
    return String(time[time.index(after: t)...])
  }

  /// Writes the sheet as a PNG at `path`; returns its size.
  @discardableResult
  public static func write(_ tiles: [Tile], layout: Layout = Layout(), to path: String) throws -> (
    width: Int, height: Int
  ) {
    guard !tiles.isEmpty else { throw MediaError("a contact sheet needs at least one video") }
    let tileWidth = max(2, layout.tileWidth)
    var pictures: [Frame] = []
    var tileHeight = 0
    for tile in tiles {
      let frame = try StillFrame.decode(from: tile.videoPath, at: tile.at)
      if tileHeight == 0 { tileHeight = StillFrame.height(for: frame, width: tileWidth) }
      pictures.append(try StillFrame.scaled(frame, width: tileWidth, height: tileHeight, format: AV_PIX_FMT_RGB24))
    }
    let labelLines = tiles.map(\.label.count).max() ?? 0
    let (width, height) = layout.size(tiles: tiles.count, tileHeight: tileHeight, labelLines: labelLines)
    let canvas = try RGBCanvas(width: width, height: height, fill: 0x20)
    let columns = max(1, min(layout.columns, tiles.count))
    let cellHeight = tileHeight + layout.gap / 2 + labelLines * layout.lineHeight
    for (index, (tile, picture)) in zip(tiles, pictures).enumerated() {
      let x = layout.gap + (index % columns) * (tileWidth + layout.gap)
      let y = layout.gap + (index / columns) * (cellHeight + layout.gap)
      canvas.paste(picture, x: x, y: y)
      for (line, text) in tile.label.enumerated() {
        let top = y + tileHeight + layout.gap / 2 + line * layout.lineHeight
        BitmapFont.draw(text, scale: layout.textScale) { dx, dy in
          if dx < tileWidth { canvas.set(x: x + dx, y: top + dy, gray: 0xF0) }
        }
      }
    }
    try StillFrame.write(try StillFrame.encode(canvas.frame, as: .png), to: path)
    return (width, height)
  }
}

/// An RGB24 frame to draw on.
final class RGBCanvas {
  let frame = Frame()
  let width: Int
  let height: Int

  init(width: Int, height: Int, fill: UInt8) throws {
    self.width = width
    self.height = height
    frame.pointer.pointee.width = Int32(width)
    frame.pointer.pointee.height = Int32(height)
    frame.pointer.pointee.format = AV_PIX_FMT_RGB24.rawValue
    try check(av_frame_get_buffer(frame.pointer, 0), "av_frame_get_buffer")
    for row in 0..<height { memset(self.row(row), Int32(fill), width * 3) }
  }

  private var stride: Int { Int(frame.pointer.pointee.linesize.0) }
  private func row(_ y: Int) -> UnsafeMutablePointer<UInt8> { frame.pointer.pointee.data.0! + y * stride }

  /// Copies an RGB24 frame with its top left corner at (x, y), clipped to the canvas.
  func paste(_ picture: Frame, x: Int, y: Int) {
    let source = picture.pointer.pointee
    let columns = min(Int(source.width), width - x)
    guard columns > 0 else { return }
    for line in 0..<min(Int(source.height), height - y) {
      memcpy(row(y + line) + x * 3, source.data.0! + line * Int(source.linesize.0), columns * 3)
    }
  }

  func set(x: Int, y: Int, gray: UInt8) {
    guard x >= 0, y >= 0, x < width, y < height else { return }
    let pixel = row(y) + x * 3
    pixel[0] = gray
    pixel[1] = gray
    pixel[2] = gray
  }
}
