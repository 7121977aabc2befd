import CliplineRecords
import CliplineSystem

/// The fields `chunk` reads from an M0 request (the seed's `M0_PRIORITY_QUEUE` message); every other field
/// passes through to each chunk record.
struct ChunkRequest: Decodable {
  struct VideoPreprocessing: Decodable {
    let chunkDuration: Double?
    let fps: Double?
    let width: Int?
    let height: Int?

    enum CodingKeys: String, CodingKey {
      case chunkDuration = "chunk_duration"
      case fps, width, height
    }
  }

  let cloudStreamPath: String
  let inferenceModality: String?
  let liveStartTime: String?
  let videoPreprocessing: VideoPreprocessing?

  enum CodingKeys: String, CodingKey {
    case cloudStreamPath = "cloud_stream_path"
    case inferenceModality = "inference_modality"
    case liveStartTime = "live_start_time"
    case videoPreprocessing = "video_preprocessing"
  }

  var isLive: Bool { inferenceModality == "live" }

  /// Checks what decoding cannot: the modality's values, a live start time that parses, sizes that make sense.
  func validated() throws -> ChunkRequest {
    if let modality = inferenceModality, modality != "batch", modality != "live" {
      throw InputError.invalidField(
        "inference_modality", reason: "must be \"batch\" or \"live\", found \"\(modality)\"")
    }
    if isLive {
      guard let live = liveStartTime else { throw InputError.missingField("live_start_time") }
      guard RFC3339.parse(live) != nil else {
        throw InputError.invalidField("live_start_time", reason: "must be an RFC 3339 time, found \"\(live)\"")
      }
    }
    if let duration = videoPreprocessing?.chunkDuration {
      try RequestBounds.check(
        duration, in: RequestBounds.chunkDuration, field: "video_preprocessing.chunk_duration", unit: " s")
    }
    if let fps = videoPreprocessing?.fps {
      try RequestBounds.check(fps, in: RequestBounds.fps, field: "video_preprocessing.fps", unit: "")
    }
    for (name, value) in [("width", videoPreprocessing?.width), ("height", videoPreprocessing?.height)] {
      guard let value else { continue }
      let field = "video_preprocessing.\(name)"
      try RequestBounds.check(
        Double(value), in: Double(RequestBounds.size.lowerBound)...Double(RequestBounds.size.upperBound), field: field,
        unit: "")
      if value % 2 != 0 {
        throw InputError.invalidField(field, reason: "must be an even number (the video is yuv420p), found \(value)")
      }
    }
    return self
  }
}

/// What `chunk` adds to each record.
struct ChunkFields: Encodable {
  /// The request's source field, which a chunk record does not carry (it becomes `source_stream_path`).
  static let requestSourceField = "cloud_stream_path"

  let chunkId: Int
  let chunkPath: String?
  let chunkHash: String
  let chunkBytes: Int64
  let startTime: Double
  let endTime: Double
  let chunkDuration: Double
  let timeOffset: Double
  let chunkMode: String
  let sourceStreamPath: String
  let chunkStartTime: String?
  let chunkEndTime: String?

  enum CodingKeys: String, CodingKey {
    case chunkId = "chunk_id"
    case chunkPath = "chunk_path"
    case chunkHash = "chunk_hash"
    case chunkBytes = "chunk_bytes"
    case startTime = "start_time"
    case endTime = "end_time"
    case chunkDuration = "chunk_duration"
    case timeOffset = "time_offset"
    case chunkMode = "chunk_mode"
    case sourceStreamPath = "source_stream_path"
    case chunkStartTime = "chunk_start_time"
    case chunkEndTime = "chunk_end_time"
  }
}

/// The ranges a request's numbers must fall in, chosen to be what an operator would call sane; `chunk --help`
/// documents them. Outside them a request is bad input (65): a tiny chunk duration would plan millions of chunks,
/// a huge frame rate would encode for ever, a huge size is more than any encoder takes.
public enum RequestBounds {
  /// Seconds: one second to one day.
  public static let chunkDuration = 1.0...86_400.0
  /// Frames per second for transcoding.
  public static let fps = 1.0...240.0
  /// Pixels, width and height alike (8K UHD is 7680 wide); even, for yuv420p.
  public static let size = 16...7680

  public static let documentation = """
    BOUNDS: video_preprocessing.chunk_duration 1 to 86400 s (and --chunk-duration); fps 1 to 240; width and \
    height 16 to 7680 and even. A request outside them is refused (exit 65) with a sentence naming the field.
    """

  static func check(_ value: Double, in range: ClosedRange<Double>, field: String, unit: String) throws {
    guard !range.contains(value) else { return }
    throw InputError.invalidField(
      field,
      reason:
        "must be between \(format(range.lowerBound)) and \(format(range.upperBound))\(unit), found \(format(value))")
  }

  static func format(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
  }
}
