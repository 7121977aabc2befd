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
      throw InputError.invalidField("inference_modality", reason: "must be \"batch\" or \"live\", found \"\(modality)\"")
    }
    if isLive {
      guard let live = liveStartTime else { throw InputError.missingField("live_start_time") }
      guard RFC3339.parse(live) != nil else {
        throw InputError.invalidField("live_start_time", reason: "must be an RFC 3339 time, found \"\(live)\"")
      }
    }
    if let duration = videoPreprocessing?.chunkDuration, !(duration > 0) {
      throw InputError.invalidField("video_preprocessing.chunk_duration", reason: "must be greater than 0")
    }
    if let fps = videoPreprocessing?.fps, !(fps > 0) {
      throw InputError.invalidField("video_preprocessing.fps", reason: "must be greater than 0")
    }
    for (name, value) in [("width", videoPreprocessing?.width), ("height", videoPreprocessing?.height)] {
      if let value, value <= 0 || value % 2 != 0 {
        throw InputError.invalidField("video_preprocessing.\(name)", reason: "must be a positive even number")
      }
    }
    return self
  }
}

/// What `chunk` adds to each record.
struct ChunkFields: Encodable {
  let chunkId: Int
  let chunkPath: String
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
