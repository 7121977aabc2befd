/// How transcode mode reshapes video: size, frame rate, and libx264's speed/quality trade-off.
public struct TranscodeSettings: Sendable, Equatable {
  /// How a source of another aspect ratio fits `width`×`height`.
  public enum Fit: String, Sendable, CaseIterable {
    /// Scale to fit inside, keep the aspect ratio, pad the rest with black (letterbox).
    case pad
    /// Scale to cover, keep the aspect ratio, crop what sticks out.
    case crop
    /// Scale to exactly the size, distorting the aspect ratio.
    case stretch
  }

  public var width: Int?
  public var height: Int?
  public var framesPerSecond: Double?
  public var fit: Fit
  public var preset: String
  public var crf: Int

  public init(
    width: Int? = nil, height: Int? = nil, framesPerSecond: Double? = nil, fit: Fit = .pad,
    preset: String = "ultrafast", crf: Int = 23
  ) {
    self.width = width
    self.height = height
    self.framesPerSecond = framesPerSecond
    self.fit = fit
    self.preset = preset
    self.crf = crf
  }

  /// The libavfilter graph that does it, ending in the encoder's pixel format.
  var filterGraph: String {
    var filters: [String] = []
    switch (width, height) {
    case (let w?, let h?):
      switch fit {
      case .pad:
        filters.append("scale=\(w):\(h):force_original_aspect_ratio=decrease:force_divisible_by=2")
        filters.append("pad=\(w):\(h):(ow-iw)/2:(oh-ih)/2")
      case .crop:
        filters.append("scale=\(w):\(h):force_original_aspect_ratio=increase")
        filters.append("crop=\(w):\(h)")
      case .stretch:
        filters.append("scale=\(w):\(h)")
      }
      filters.append("setsar=1")
    case (let w?, nil): filters.append("scale=\(w):-2")
    case (nil, let h?): filters.append("scale=-2:\(h)")
    case (nil, nil): break
    }
    if let fps = framesPerSecond { filters.append("fps=\(fps)") }
    filters.append("format=yuv420p")
    return filters.joined(separator: ",")
  }
}
