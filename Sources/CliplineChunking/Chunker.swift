import CliplineCrypto
import CliplineMedia
import CliplineRecords
import CliplineSources
import CliplineSystem
import Foundation

/// M0 in one library: for each request, open the source (read as it arrives, or in place), cut it in one pass, and
/// emit one chunk record per chunk the moment it is finished, into a file or to storage while it is cut.
public final class Chunker {
  public struct Options: Sendable {
    public var mode: ChunkMode = .auto
    /// For requests without `video_preprocessing.chunk_duration`.
    public var defaultChunkDuration: Double = 60
    /// A last piece shorter than this joins the chunk before it; nil means a quarter of the chunk duration.
    public var mergeLastUnder: Double?
    /// Preset, CRF and fit for transcode mode (size and frame rate come from each request).
    public var encoding = TranscodeSettings()

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

  /// Cuts the video a request names into chunk files under the work directory; `emit` receives each chunk record
  /// (the request's fields plus the chunk's, `chunk_path` among them) the moment its file is closed.
  public func process(_ record: Record, line: Int, emit: @escaping (Record) throws -> Void) throws {
    try cut(record, line: line, into: .files) { chunk, _ in try emit(chunk) }
  }

  /// Cuts the video a request names into chunk files sent to storage while they are written (`chunk --to`):
  /// `begin` receives, as each chunk starts, the record as far as it is known then (the request's fields,
  /// `chunk_id`, `chunk_mode`, `source_stream_path`) and the file's path, and starts its upload (or returns nil: the
  /// file is then sent whole once cut). `emit` receives each chunk record (without `chunk_path`), the object its
  /// file makes and that upload; the file is the receiver's to remove once stored.
  public func process(
    _ record: Record, line: Int, uploading begin: @escaping (Record, String) throws -> GrowingUpload?,
    emit: @escaping (Record, WrittenBody, GrowingUpload?) throws -> Void
  ) throws {
    try cut(record, line: line, into: .uploading(begin)) { chunk, output in
      guard case .written(let body, let upload) = output else {
        output.abandon()
        throw MediaError("a chunk meant for storage was not written for it")
      }
      try emit(chunk, body, upload)
    }
  }

  /// Where a request's chunks go.
  private enum ChunkDestination {
    /// `chunk_NNN.mp4` in the request's directory under the work directory.
    case files
    /// Chunk files there, each sent while it is written to the upload this starts.
    case uploading((Record, String) throws -> GrowingUpload?)
  }

  private func cut(
    _ record: Record, line: Int, into destination: ChunkDestination,
    emit: @escaping (Record, SegmentOutput) throws -> Void
  ) throws {
    let request = try record.decode(ChunkRequest.self).validated()
    let started = Date()
    let source = try OpenedSource.open(
      request.cloudStreamPath, fetcher: fetcher, workDirectory: workDirectory, diagnostics: diagnostics, line: line)
    defer { source.discard() }
    let opened = Date()
    let plan = try CutPlan(request: request, source: source.segmenter.info, options: options)
    let segments = try segmentDestination(destination, for: record, plan: plan, line: line)
    diagnostics.debug(
      String(format: "cutting %.1f s into %d chunks of ", plan.duration, plan.chunkCount)
        + "\(plan.chunkDuration) s (\(plan.modeName))", line: line)
    let written: Int
    do {
      // Each chunk's size and hash are known once its file's last pass ends (beside the cut of the next chunk):
      // its record leaves then, in order.
      written = try source.segmenter.run(boundaries: plan.boundaries, mode: plan.mode, into: segments) { segment in
        try self.finished(segment, of: record, plan: plan, line: line, emit: emit)
      }
      try source.waitForDownload()
    } catch {
      progress.clear()
      throw source.downloadFailure ?? error
    }
    progress.clear()
    CutMetrics.record(
      chunks: written, plan: plan, opened: opened, downloadStarted: source.isFetched ? started : nil,
      downloadEnded: source.isStreamed ? Date() : opened)
    diagnostics.info(
      "cut \(SecretRedaction.url(request.cloudStreamPath)) into \(written) chunks (\(plan.modeName)) "
        + "in \(elapsed(since: started))", line: line)
  }

  private func segmentDestination(
    _ destination: ChunkDestination, for record: Record, plan: CutPlan, line: Int
  ) throws -> SegmentDestination {
    let directory = try chunkDirectory(for: record, line: line)
    let path = { (index: Int) in
      (directory as NSString).appendingPathComponent(String(format: "chunk_%03d.mp4", index))
    }
    guard case .uploading(let begin) = destination else { return .files(path: path) }
    return .uploading(path: path) { index, file in try begin(plan.startingRecord(index, of: record), file) }
  }

  /// One chunk is cut: its record goes out.
  private func finished(
    _ segment: FinishedSegment, of record: Record, plan: CutPlan, line: Int,
    emit: (Record, SegmentOutput) throws -> Void
  ) throws {
    progress.update(
      String(
        format: "chunk: chunk %d of %d cut (%.0f of %.0f s)", segment.index, plan.chunkCount, segment.endSeconds,
        plan.duration), force: true)
    let chunk: Record
    do {
      chunk = try plan.record(for: segment, of: record)
    } catch {
      segment.output.abandon()
      throw error
    }
    try emit(chunk, segment.output)
    diagnostics.debug(
      String(format: "chunk %d: %.3f–%.3f s", segment.index, segment.startSeconds, segment.endSeconds), line: line)
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

  private func elapsed(since start: Date) -> String { String(format: "%.2f s", Date().timeIntervalSince(start)) }
}
