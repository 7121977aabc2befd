import CliplineMedia
import CliplineRecords
import CliplineSystem
import Foundation

/// How one request's source is cut: where, in which mode, and what its chunk records say of the request.
struct CutPlan {
  let request: ChunkRequest
  let duration: Double
  let chunkDuration: Double
  let boundaries: CutTimes
  let mode: Segmenter.Mode
  /// The absolute time of the source's start, for a live request's `chunk_start_time` and `chunk_end_time`.
  let liveStart: Date?

  /// Throws when the source has no video or no known duration.
  init(request: ChunkRequest, source: MediaInfo, options: Chunker.Options) throws {
    let redacted = SecretRedaction.url(request.cloudStreamPath)
    guard let video = source.video else { throw MediaError("\(redacted) has no video stream") }
    guard let duration = source.durationSeconds ?? video.durationSeconds, duration > 0 else {
      throw MediaError("\(redacted) has no known duration")
    }
    let preprocessing = request.videoPreprocessing
    self.request = request
    self.duration = duration
    chunkDuration = preprocessing?.chunkDuration ?? options.defaultChunkDuration
    boundaries = ChunkPlanner(chunkDuration: chunkDuration, mergeLastUnder: options.mergeLastUnder)
      .boundaries(forDuration: duration)
    mode = options.mode.segmenterMode(
      width: preprocessing?.width, height: preprocessing?.height, fps: preprocessing?.fps, source: video,
      encoding: options.encoding)
    liveStart = request.liveStartTime.flatMap(RFC3339.parse)
  }

  var chunkCount: Int { boundaries.count + 1 }

  var modeName: String {
    if case .copy = mode { return "copy" }
    return "transcode"
  }

  /// Chunk `index`'s record as far as it is known when its cut starts: the request's fields, `chunk_id`,
  /// `chunk_mode` and `source_stream_path`, without the request's `cloud_stream_path`.
  func startingRecord(_ index: Int, of request: Record) -> Record {
    var chunk = request
    chunk["chunk_id"] = .integer(Int64(index))
    chunk["chunk_mode"] = .string(modeName)
    chunk["source_stream_path"] = .string(self.request.cloudStreamPath)
    chunk[ChunkFields.requestSourceField] = nil
    return Self.withInferenceConfig(chunk)
  }

  /// The request's fields plus the chunk's.
  func record(for segment: FinishedSegment, of request: Record) throws -> Record {
    var path: String?
    if case .file(let file) = segment.output { path = file }
    let fields = ChunkFields(
      chunkId: segment.index, chunkPath: path, chunkHash: segment.sha256.hexString, chunkBytes: segment.bytes,
      startTime: Self.rounded(segment.startSeconds), endTime: Self.rounded(segment.endSeconds),
      chunkDuration: Self.rounded(segment.endSeconds - segment.startSeconds),
      timeOffset: Self.rounded(segment.startSeconds), chunkMode: modeName,
      sourceStreamPath: self.request.cloudStreamPath,
      chunkStartTime: liveStart.map { RFC3339.format($0.addingTimeInterval(segment.startSeconds)) },
      chunkEndTime: liveStart.map { RFC3339.format($0.addingTimeInterval(segment.endSeconds)) })
    var chunk = try request.merging(fields)
    // One meaning per field: the request's cloud_stream_path is the source (now source_stream_path); the chunk's
    // own URL is set by blob-put once the chunk is stored.
    chunk[ChunkFields.requestSourceField] = nil
    return Self.withInferenceConfig(chunk)
  }

  /// M1's chunk message always carries `inference_config` (docs/records.md, "The messages"): the request's, or `{}`
  /// when it had none, so a model that requires the field reads every chunk.
  static func withInferenceConfig(_ chunk: Record) -> Record {
    guard chunk["inference_config"] == nil else { return chunk }
    var chunk = chunk
    chunk["inference_config"] = .object([:])
    return chunk
  }

  /// Microsecond precision: enough for any frame rate, and stable text in the records.
  static func rounded(_ seconds: Double) -> Double { (seconds * 1_000_000).rounded() / 1_000_000 }
}
