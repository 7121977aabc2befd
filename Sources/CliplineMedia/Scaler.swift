internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale

/// Owns one SwsContext.
final class Scaler {
  /// A frame geometry: width, height, pixel format.
  typealias Geometry = (width: Int32, height: Int32, format: AVPixelFormat)

  let pointer: OpaquePointer

  init(from source: Geometry, to target: Geometry) throws {
    pointer = try Scaler.open(from: source, to: target)
  }

  /// A context for `source` to `target`, or a MediaError naming what libswscale would refuse. The refusals are
  /// checked here first: libswscale 6 aborts the process (an `av_assert0`) on a pixel format it has no descriptor
  /// for, such as `AV_PIX_FMT_NONE`, instead of returning NULL. Nothing is allocated before the checks pass, and
  /// libswscale frees its own half-built context when it returns NULL, so `deinit` is the only free.
  private static func open(from source: Geometry, to target: Geometry) throws -> OpaquePointer {
    try FFmpegLibraries.load()
    let refusal: String?
    if source.width <= 0 || source.height <= 0 || target.width <= 0 || target.height <= 0 {
      refusal = "a frame size is empty"
    } else if sws_isSupportedInput(source.format) == 0 {
      refusal = "libswscale does not read that pixel format"
    } else if sws_isSupportedOutput(target.format) == 0 {
      refusal = "libswscale does not write that pixel format"
    } else {
      refusal = nil
    }
    let conversion = "\(describe(source)) frames to \(describe(target))"
    if let refusal { throw MediaError("cannot convert \(conversion): \(refusal)") }
    guard
      let context = sws_getContext(
        source.width, source.height, source.format, target.width, target.height, target.format, SWS_BICUBIC, nil,
        nil, nil)
    else { throw MediaError("libswscale cannot convert \(conversion)") }
    return context
  }

  /// `1280x720 yuv420p`; a format FFmpeg does not know reads `pixel format -1`.
  private static func describe(_ geometry: Geometry) -> String {
    let name = av_get_pix_fmt_name(geometry.format).map { String(cString: $0) }
    return "\(geometry.width)x\(geometry.height) \(name ?? "pixel format \(geometry.format.rawValue)")"
  }

  deinit { sws_freeContext(pointer) }
}
