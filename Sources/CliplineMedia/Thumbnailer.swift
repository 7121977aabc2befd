internal import CCliplineAVCodec
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

/// Owns one AVCodecContext (a decoder opened on a stream, or an encoder to be configured and opened).
final class CodecContext {
  let pointer: UnsafeMutablePointer<AVCodecContext>

  init(encoding codec: UnsafePointer<AVCodec>) throws {
    guard let context = avcodec_alloc_context3(codec) else { throw MediaError("avcodec_alloc_context3 failed") }
    pointer = context
  }

  init(decoding stream: UnsafeMutablePointer<AVStream>) throws {
    let parameters = stream.pointee.codecpar!
    guard let codec = avcodec_find_decoder(parameters.pointee.codec_id) else {
      throw MediaError("no decoder for \(String(cString: avcodec_get_name(parameters.pointee.codec_id)))")
    }
    guard let context = avcodec_alloc_context3(codec) else { throw MediaError("avcodec_alloc_context3 failed") }
    pointer = context
    try check(avcodec_parameters_to_context(context, parameters), "avcodec_parameters_to_context")
    context.pointee.pkt_timebase = stream.pointee.time_base
    try check(avcodec_open2(context, codec, nil), "avcodec_open2 (decoder)")
  }

  deinit {
    var context: UnsafeMutablePointer<AVCodecContext>? = pointer
    avcodec_free_context(&context)
  }
}
