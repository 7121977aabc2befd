internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale
import CliplineSystem
import Foundation

/// One picture from a video, in the steps a thumbnail and a contact sheet share: decode the frame at a time,
/// scale it with libswscale, encode it with a libavcodec image encoder (mjpeg or png), write it atomically.
enum StillFrame {
  enum ImageCodec {
    case jpeg, png
  }

  /// The first frame at or after `at` seconds from the start of the media (nil: the very first frame).
  static func decode(from path: String, at: Double?) throws -> Frame {
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
    func wanted() -> Bool {
      let time = frame.pointer.pointee.best_effort_timestamp
      return target == nil || time == nopts || time >= target!
    }
    while try input.read(into: packet) {
      guard packet.streamIndex == streamIndex else { continue }
      try check(avcodec_send_packet(decoder.pointer, packet.pointer), "avcodec_send_packet", path: path)
      while true {
        let received = avcodec_receive_frame(decoder.pointer, frame.pointer)
        if received == clipline_averror_eagain() { break }
        try check(received, "avcodec_receive_frame", path: path)
        if wanted() { return frame }
        frame.unreference()
      }
    }
    // The wanted frame may sit in the decoder's delay: drain it.
    _ = avcodec_send_packet(decoder.pointer, nil)
    while avcodec_receive_frame(decoder.pointer, frame.pointer) >= 0 {
      if wanted() { return frame }
      frame.unreference()
    }
    throw MediaError("\(path) has no video frame at or after \(at.map { String(format: "%.3f s", $0) } ?? "its start")")
  }

  /// The height that keeps `frame`'s aspect ratio at `width`, rounded to even.
  static func height(for frame: Frame, width: Int) -> Int {
    let source = frame.pointer.pointee
    let height = Int((Double(source.height) * Double(width) / Double(max(1, source.width))).rounded())
    return max(2, height - height % 2)
  }

  static func scaled(_ frame: Frame, width: Int, height: Int, format: AVPixelFormat) throws -> Frame {
    let source = frame.pointer.pointee
    let scaled = Frame()
    scaled.pointer.pointee.width = Int32(width)
    scaled.pointer.pointee.height = Int32(height)
    scaled.pointer.pointee.format = format.rawValue
    try check(av_frame_get_buffer(scaled.pointer, 0), "av_frame_get_buffer")
    let scaler = try Scaler(
      from: (source.width, source.height, AVPixelFormat(source.format)), to: (Int32(width), Int32(height), format))
    try check(sws_scale_frame(scaler.pointer, scaled.pointer, frame.pointer), "sws_scale_frame")
    return scaled
  }

  /// Encodes one frame as a JPEG (yuvj420p frames) or a PNG (rgb24 frames).
  static func encode(_ frame: Frame, as codecKind: ImageCodec) throws -> Data {
    let (codecID, name): (AVCodecID, String) =
      codecKind == .jpeg ? (AV_CODEC_ID_MJPEG, "mjpeg") : (AV_CODEC_ID_PNG, "png")
    guard let codec = avcodec_find_encoder(codecID) else { throw MediaError("libavcodec has no \(name) encoder") }
    let encoder = try CodecContext(encoding: codec) { context in
      context.pointee.width = frame.pointer.pointee.width
      context.pointee.height = frame.pointer.pointee.height
      context.pointee.pix_fmt = AVPixelFormat(frame.pointer.pointee.format)
      context.pointee.time_base = AVRational(num: 1, den: 25)  // image encoders refuse to open without one
      if codecKind == .jpeg {
        context.pointee.flags |= AV_CODEC_FLAG_QSCALE
        context.pointee.global_quality = 3 * FF_QP2LAMBDA
      }
    }
    if codecKind == .jpeg { frame.pointer.pointee.quality = encoder.pointer.pointee.global_quality }
    frame.pointer.pointee.pts = 0
    try check(avcodec_send_frame(encoder.pointer, frame.pointer), "avcodec_send_frame (\(name))")
    _ = avcodec_send_frame(encoder.pointer, nil)
    let packet = Packet()
    try check(avcodec_receive_packet(encoder.pointer, packet.pointer), "avcodec_receive_packet (\(name))")
    return Data(bytes: packet.pointer.pointee.data, count: Int(packet.pointer.pointee.size))
  }

  /// Writes beside `output` and renames, so a reader never sees half an image (into `output` itself when it is
  /// not a regular file: a FIFO, a device, standard output as `-`).
  static func write(_ bytes: Data, to output: String) throws {
    try WholeFile.write(Array(bytes), to: output)
  }
}
