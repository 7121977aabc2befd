internal import CCliplineAVCodec
internal import CCliplineAVFormat
internal import CCliplineAVUtil

extension FFmpegLibraries {
  /// For `--version`, as `ffmpeg -version` says it: FFmpeg's release and its libraries' versions, loading them; or
  /// why they cannot be loaded (a machine without FFmpeg runs every tool that opens no media).
  public static var version: String {
    do {
      try load()
    } catch {
      return "not loaded (\(error))"
    }
    let libraries = [
      ("libavutil", avutil_version()), ("libavcodec", avcodec_version()), ("libavformat", avformat_version()),
    ]
    let each = libraries.map { "\($0.0) \($0.1 >> 16).\($0.1 >> 8 & 0xff).\($0.1 & 0xff)" }
    return String(cString: av_version_info()) + " (" + each.joined(separator: ", ") + ")"
  }
}
