internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale

/// Owns one AVPacket, reused for every read.
final class Packet {
  let pointer: UnsafeMutablePointer<AVPacket>

  init() {
    guard let packet = av_packet_alloc() else { fatalError("av_packet_alloc: out of memory") }
    pointer = packet
  }

  deinit {
    var packet: UnsafeMutablePointer<AVPacket>? = pointer
    av_packet_free(&packet)
  }

  func unreference() { av_packet_unref(pointer) }

  var streamIndex: Int { Int(pointer.pointee.stream_index) }
  var isKeyframe: Bool { pointer.pointee.flags & AV_PKT_FLAG_KEY != 0 }
  var pts: Int64? { pointer.pointee.pts == clipline_av_nopts_value() ? nil : pointer.pointee.pts }
  var dts: Int64? { pointer.pointee.dts == clipline_av_nopts_value() ? nil : pointer.pointee.dts }

  /// The presentation time (or decode time when pts is absent), in the packet's time base.
  var time: Int64? { pts ?? dts }
}

/// Owns one AVFrame.
final class Frame {
  let pointer: UnsafeMutablePointer<AVFrame>

  init() {
    guard let frame = av_frame_alloc() else { fatalError("av_frame_alloc: out of memory") }
    pointer = frame
  }

  deinit {
    var frame: UnsafeMutablePointer<AVFrame>? = pointer
    av_frame_free(&frame)
  }

  func unreference() { av_frame_unref(pointer) }
}

extension AVRational {
  var seconds: Double { av_q2d(self) }
}

func seconds(_ value: Int64, _ timeBase: AVRational) -> Double { Double(value) * av_q2d(timeBase) }

func ticks(_ seconds: Double, _ timeBase: AVRational) -> Int64 {
  Int64((seconds / av_q2d(timeBase)).rounded())
}

extension Packet {
  /// A new packet sharing `other`'s data (reference-counted), for holding it back a while.
  convenience init(cloning other: Packet) throws {
    self.init()
    try check(av_packet_ref(pointer, other.pointer), "av_packet_ref")
  }
}
