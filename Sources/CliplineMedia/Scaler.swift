internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale

/// Owns one SwsContext.
final class Scaler {
  let pointer: OpaquePointer

  init(from source: (Int32, Int32, AVPixelFormat), to target: (Int32, Int32, AVPixelFormat)) throws {
    guard
      let context = sws_getContext(
        source.0, source.1, source.2, target.0, target.1, target.2, SWS_BICUBIC, nil, nil, nil)
    else { throw MediaError("libswscale cannot convert \(source.0)x\(source.1) frames of this pixel format") }
    pointer = context
  }

  deinit { sws_freeContext(pointer) }
}
