import CliplineMedia

/// How `chunk` cuts: keep the compressed streams (copy), re-encode (transcode), or decide per request (auto).
public enum ChunkMode: String, CaseIterable, Sendable {
  case copy, transcode, auto

  /// Auto transcodes only when the request asks for a size or frame rate the source does not already have.
  /// `encoding` carries the operator's preset, CRF and fit; the request supplies size and frame rate.
  func segmenterMode(
    width: Int?, height: Int?, fps: Double?, source: StreamInfo, encoding: TranscodeSettings
  ) -> Segmenter.Mode {
    var settings = encoding
    settings.width = width
    settings.height = height
    settings.framesPerSecond = fps
    switch self {
    case .copy:
      return .copy
    case .transcode:
      return .transcode(settings)
    case .auto:
      let differentSize = (width.map { $0 != source.width } ?? false) || (height.map { $0 != source.height } ?? false)
      let differentRate = fps.map { abs($0 - source.framesPerSecond) > 0.01 } ?? false
      return differentSize || differentRate ? .transcode(settings) : .copy
    }
  }
}
