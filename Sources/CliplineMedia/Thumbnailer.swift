internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale
import Foundation

/// A JPEG of one video frame, scaled to a width, made in process with FFmpeg's libraries (`StillFrame`, the code
/// path contact sheets use too): no ffmpeg subprocess.
public enum Thumbnailer {
  /// - Parameters:
  ///   - at: seconds from the start of the media; nil takes the first frame (a clip starts on a keyframe).
  ///   - width: the JPEG's width; the height keeps the aspect ratio (rounded to even).
  public static func writeJPEG(from path: String, to output: String, at: Double? = nil, width: Int = 320) throws {
    let frame = try StillFrame.decode(from: path, at: at)
    let width = max(2, width - width % 2)
    let scaled = try StillFrame.scaled(
      frame, width: width, height: StillFrame.height(for: frame, width: width), format: AV_PIX_FMT_YUVJ420P)
    try StillFrame.write(try StillFrame.encode(scaled, as: .jpeg), to: output)
  }
}
