internal import CCliplineAVCodec
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale
import Foundation

/// A JPEG of one video frame, scaled to a width, made with libavcodec (decoder, then the mjpeg encoder) and
/// libswscale: no ffmpeg subprocess.
public enum Thumbnailer {
  /// - Parameters:
  ///   - at: seconds from the start of the media; nil takes the first frame (a clip starts on a keyframe).
  ///   - width: the JPEG's width; the height keeps the aspect ratio (rounded to even).
  public static func writeJPEG(from path: String, to output: String, at: Double? = nil, width: Int = 320) throws {
    let input = try MediaInput(path: path)
    guard let streamIndex = input.bestVideoStreamIndex else { throw MediaError("\(path) has no video stream") }
    let stream = input.stream(streamIndex)
    let decoder = try CodecContext(decoding: stream)
    let timeBase = stream.pointee.time_base
    let nopts = clipline_av_nopts_value()
    var target: Int64?
    if let at {
      let origin = stream.pointee.start_time == nopts ? 0 : stream.pointee.start_time
      target = origin + ticks(at, timeBase)
      try check(
        av_seek_frame(input.context, Int32(streamIndex), target!, AVSEEK_FLAG_BACKWARD), "av_seek_frame", path: path)
    }
    let packet = Packet()
    let frame = Frame()
    var picked = false
    reading: while try input.read(into: packet) {
      guard packet.streamIndex == streamIndex else { continue }
      try check(avcodec_send_packet(decoder.pointer, packet.pointer), "avcodec_send_packet", path: path)
      while true {
        let received = avcodec_receive_frame(decoder.pointer, frame.pointer)
        if received == clipline_averror_eagain() { break }
        try check(received, "avcodec_receive_frame", path: path)
        let time = frame.pointer.pointee.best_effort_timestamp
        if let target, time != nopts, time < target {
          frame.unreference()
          continue
        }
        picked = true
        break reading
      }
    }
    if !picked {
      // The wanted frame may sit in the decoder's delay: drain it.
      _ = avcodec_send_packet(decoder.pointer, nil)
      while avcodec_receive_frame(decoder.pointer, frame.pointer) >= 0 {
        let time = frame.pointer.pointee.best_effort_timestamp
        if target == nil || time == nopts || time >= target! {
          picked = true
          break
        }
        frame.unreference()
      }
    }
    guard picked else { throw MediaError("\(path) has no video frame at or after the thumbnail time") }
    try encodeJPEG(frame, width: width, to: output)
  }

  private static func encodeJPEG(_ frame: Frame, width requested: Int, to output: String) throws {
    let source = frame.pointer.pointee
    let width = max(2, requested - requested % 2)
    var height = Int((Double(source.height) * Double(width) / Double(max(1, source.width))).rounded())
    height = max(2, height - height % 2)
    let scaled = Frame()
    scaled.pointer.pointee.width = Int32(width)
    scaled.pointer.pointee.height = Int32(height)
    scaled.pointer.pointee.format = AV_PIX_FMT_YUVJ420P.rawValue
    try check(av_frame_get_buffer(scaled.pointer, 0), "av_frame_get_buffer")
    let scaler = try Scaler(
      from: (source.width, source.height, AVPixelFormat(source.format)),
      to: (Int32(width), Int32(height), AV_PIX_FMT_YUVJ420P))
    try check(sws_scale_frame(scaler.pointer, scaled.pointer, frame.pointer), "sws_scale_frame")

    guard let codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG) else {
      throw MediaError("libavcodec has no mjpeg encoder")
    }
    let encoder = try CodecContext(encoding: codec) { context in
      context.pointee.width = Int32(width)
      context.pointee.height = Int32(height)
      context.pointee.pix_fmt = AV_PIX_FMT_YUVJ420P
      context.pointee.time_base = AVRational(num: 1, den: 25)  // mjpeg refuses to open without one
      context.pointee.flags |= AV_CODEC_FLAG_QSCALE
      context.pointee.global_quality = 3 * FF_QP2LAMBDA
    }
    scaled.pointer.pointee.pts = 0
    scaled.pointer.pointee.quality = encoder.pointer.pointee.global_quality
    try check(avcodec_send_frame(encoder.pointer, scaled.pointer), "avcodec_send_frame (mjpeg)")
    _ = avcodec_send_frame(encoder.pointer, nil)
    let packet = Packet()
    try check(avcodec_receive_packet(encoder.pointer, packet.pointer), "avcodec_receive_packet (mjpeg)")
    let bytes = Data(bytes: packet.pointer.pointee.data, count: Int(packet.pointer.pointee.size))
    let temporary = output + ".tmp"
    guard FileManager.default.createFile(atPath: temporary, contents: bytes), rename(temporary, output) == 0 else {
      unlink(temporary)
      throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: output])
    }
  }
}

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
