internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale
import CliplineSystem

/// What a player needs from a source stream besides its codec parameters: side data (the display matrix that
/// rotates portrait video, HDR mastering data, …), metadata (language, handler) and the disposition.
enum StreamProperties {
  static func copy(from input: UnsafeMutablePointer<AVStream>, to output: UnsafeMutablePointer<AVStream>) throws {
    try check(av_dict_copy(&output.pointee.metadata, input.pointee.metadata, 0), "av_dict_copy")
    output.pointee.disposition = input.pointee.disposition
    for index in 0..<Int(input.pointee.nb_side_data) {
      let item = input.pointee.side_data[index]
      guard let target = av_stream_new_side_data(output, item.type, Int(item.size)) else {
        throw ResourceShortage.memory(bytes: nil)
      }
      if item.size > 0 { target.update(from: item.data, count: Int(item.size)) }
    }
  }
}
