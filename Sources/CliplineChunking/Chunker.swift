import CliplineCrypto
import CliplineMedia
import CliplineRecords
import CliplineSources
import CliplineSystem
import Foundation

/// M0 in one library: for each request, bring the source to a local file, cut it in one pass, and emit one
/// chunk record per chunk the moment its file is closed.
public final class Chunker {
  public struct Options: Sendable {
    public var mode: ChunkMode = .auto
    /// For requests without `video_preprocessing.chunk_duration`.
    public var defaultChunkDuration: Double = 60
    /// A last piece shorter than this joins the chunk before it; nil means a quarter of the chunk duration.
    public var mergeLastUnder: Double?
    /// Preset, CRF and fit for transcode mode (size and frame rate come from each request).
    public var encoding = TranscodeSettings()
    /// Cut each chunk into this memory instead of a file (`chunk --to`): its record then has no `chunk_path`.
    public var memory: SegmentMemory?

    public init() {}
  }

  private let options: Options
  private let workDirectory: WorkDirectory
  private let fetcher: SourceFetcher
  private let diagnostics: Diagnostics
  private let progress: ProgressLine

  /// - Parameter progress: where to show how far the cut has got (the tool passes stderr when it is a terminal).
  public init(
    options: Options, workDirectory: WorkDirectory, fetcher: SourceFetcher, diagnostics: Diagnostics,
    progress: ProgressLine = ProgressLine(enabled: false)
  ) {
    self.options = options
    self.workDirectory = workDirectory
    self.fetcher = fetcher
    self.diagnostics = diagnostics
    self.progress = progress
  }

  /// Cuts the video a request names; `emit` receives each chunk record (the request's fields plus the chunk's).
  public func process(_ record: Record, line: Int, emit: @escaping (Record) throws -> Void) throws {
    try process(record, line: line) { chunk, _ in try emit(chunk) }
  }

  /// The same, with each chunk's bytes when it was cut into memory (`Options.memory`).
  public func process(
    _ record: Record, line: Int, emitChunk emit: @escaping (Record, SegmentInMemory?) throws -> Void
  ) throws {
    let request = try record.decode(ChunkRequest.self).validated()
    let chunkDuration = request.videoPreprocessing?.chunkDuration ?? options.defaultChunkDuration
    let started = Date()
    let source = try OpenedSource.open(
      request.cloudStreamPath, fetcher: fetcher, workDirectory: workDirectory, diagnostics: diagnostics, line: line)
    defer { source.discard() }
    let segmenter = source.segmenter
    guard let video = segmenter.info.video else {
      throw MediaError("\(SecretRedaction.url(request.cloudStreamPath)) has no video stream")
    }
    guard let duration = segmenter.info.durationSeconds ?? video.durationSeconds, duration > 0 else {
      throw MediaError("\(SecretRedaction.url(request.cloudStreamPath)) has no known duration")
    }
    let planner = ChunkPlanner(chunkDuration: chunkDuration, mergeLastUnder: options.mergeLastUnder)
    let boundaries = planner.boundaries(forDuration: duration)
    let preprocessing = request.videoPreprocessing
    let mode = options.mode.segmenterMode(
      width: preprocessing?.width, height: preprocessing?.height, fps: preprocessing?.fps, source: video,
      encoding: options.encoding)
    let modeName: String
    if case .copy = mode { modeName = "copy" } else { modeName = "transcode" }

    let outputDirectory = options.memory == nil ? try chunkDirectory(for: record, line: line) : ""
    let liveStart = request.liveStartTime.flatMap(RFC3339.parse)
    diagnostics.debug(
      "cutting \(String(format: "%.1f", duration)) s into \(boundaries.count + 1) chunks of \(chunkDuration) s (\(modeName))",
      line: line)

    // Each chunk's size and hash were taken as its bytes were written: its record leaves at once.
    let written: Int
    do {
      written = try segmenter.run(
        boundaries: boundaries, mode: mode,
        outputPath: { index in
          (outputDirectory as NSString).appendingPathComponent(String(format: "chunk_%03d.mp4", index))
        }, memory: options.memory,
        onSegment: { segment in
          self.progress.update(
            String(
              format: "chunk: chunk %d of %d cut (%.0f of %.0f s)", segment.index, boundaries.count + 1,
              segment.endSeconds, duration), force: true)
          try emit(
            try self.chunkRecord(for: segment, of: record, request: request, mode: modeName, liveStart: liveStart),
            segment.memory)
          self.diagnostics.debug(
            "chunk \(segment.index): \(String(format: "%.3f", segment.startSeconds))–"
              + "\(String(format: "%.3f", segment.endSeconds)) s", line: line)
        })
      try source.waitForDownload()
    } catch {
      progress.clear()
      throw source.downloadFailure ?? error
    }
    progress.clear()
    diagnostics.info(
      "cut \(SecretRedaction.url(request.cloudStreamPath)) into \(written) chunks (\(modeName)) "
        + "in \(elapsed(since: started))", line: line)
  }

  private func chunkRecord(
    for segment: SegmentFile, of record: Record, request: ChunkRequest, mode: String, liveStart: Date?
  ) throws -> Record {
    let fields = ChunkFields(
      chunkId: segment.index, chunkPath: segment.memory == nil ? segment.path : nil,
      chunkHash: segment.sha256.hexString, chunkBytes: segment.bytes,
      startTime: Self.rounded(segment.startSeconds), endTime: Self.rounded(segment.endSeconds),
      chunkDuration: Self.rounded(segment.endSeconds - segment.startSeconds),
      timeOffset: Self.rounded(segment.startSeconds), chunkMode: mode, sourceStreamPath: request.cloudStreamPath,
      chunkStartTime: liveStart.map { RFC3339.format($0.addingTimeInterval(segment.startSeconds)) },
      chunkEndTime: liveStart.map { RFC3339.format($0.addingTimeInterval(segment.endSeconds)) })
    var chunk = try record.merging(fields)
    // One meaning per field: the request's cloud_stream_path is the source (now source_stream_path); the chunk's
    // own URL is set by blob-put once the chunk is stored.
    chunk[ChunkFields.requestSourceField] = nil
    return chunk
  }

  /// `<work dir>/<process_id>/`, so requests in one run never overwrite each other's chunks.
  private func chunkDirectory(for record: Record, line: Int) throws -> String {
    let name: String
    if let processId = record["process_id"], processId != .null {
      name = processId.textValue.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }
        .reduce(into: "") { $0.append($1) }
    } else {
      name = "line_\(line)"
    }
    if name.utf8.count > Int(NAME_MAX) {
      throw InputError.invalidField(
        "process_id", reason: "is longer than the \(NAME_MAX) bytes a directory name can have")
    }
    let directory = workDirectory.file(name)
    if mkdir(directory, 0o755) != 0 && errno != EEXIST {
      if errno == ENOENT {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      } else {
        throw FileSystemError("create the chunk directory", path: directory)
      }
    }
    return directory
  }

  /// Microsecond precision: enough for any frame rate, and stable text in the records.
  static func rounded(_ seconds: Double) -> Double { (seconds * 1_000_000).rounded() / 1_000_000 }

  private func elapsed(since start: Date) -> String { String(format: "%.2f s", Date().timeIntervalSince(start)) }
}
