import ArgumentParser
import CliplineBlobStores
import CliplineCLI
import CliplineChunking
import CliplineMedia
import CliplineRecords
import CliplineSources
import CliplineStorageFlags
import CliplineSystem

struct Chunk: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "chunk",
    abstract: "Cut videos into fixed-duration MP4 chunks, one JSON record per chunk (M0).",
    discussion: """
      Reads M0 requests, one JSON object per line, on stdin (or one from --source). For each request it brings \
      the video named by cloud_stream_path (file:// and paths are read in place; http(s):// is streamed to the work \
      directory and removed afterwards; s3:// and az:// are read through a bounded window of memory, never on \
      disk), cuts it in a single pass with \
      FFmpeg's libraries, and writes one record per chunk to stdout as soon as that chunk's file is closed.

      Cutting starts while the source downloads (one GET for http(s), parallel ranged GETs in file order for \
      s3:// and az://): the first record leaves once its media has arrived. A source whose index (moov) sits at \
      the end has its last bytes fetched first (a ranged GET; a server that ignores ranges makes the cut wait for \
      the whole download); --verbose says which. If the download fails, that is the error reported.

      READS: cloud_stream_path (required); inference_modality ("batch" or "live"); live_start_time (RFC 3339, \
      required when live); video_preprocessing.chunk_duration (seconds; else --chunk-duration), \
      video_preprocessing.fps, .width, .height (for transcoding). Every other field passes through.

      WRITES, per chunk, the request's fields plus: chunk_id (1-based), chunk_path, chunk_hash (SHA-256 of the \
      file), chunk_bytes, start_time and end_time (seconds from the start of the video, the real cut times), \
      chunk_duration, time_offset (= start_time), chunk_mode ("copy" or "transcode"), source_stream_path (the \
      request's cloud_stream_path); for live requests also chunk_start_time and chunk_end_time (absolute, \
      RFC 3339); inference_config is {} when the request has none, so M1's message always carries it. A chunk \
      record has no cloud_stream_path: that field is the chunk's own URL, which blob-put sets when it stores the \
      chunk (--to URL=cloud_stream_path).

      MODES: copy keeps the compressed video and audio and cuts at the first picture on or after each boundary \
      that decodes alone with every picture after it (H.264 IDR; HEVC IDR, BLA, or CRA without RASL pictures; \
      MPEG-2 I of a closed GOP), so no picture is lost; each chunk's first picture is shown at 0. A source with no \
      such picture from one boundary to the next (open GOPs, intra refresh) fails with 65 and one sentence \
      saying to use --mode transcode. \
      transcode scales to width x height (--fit: pad keeps the aspect ratio and letterboxes, crop fills and crops, \
      stretch distorts), resamples to fps, encodes with libx264 (--preset, --crf) and forces keyframes at the \
      boundaries so cuts are exact, keeping every picture of the source; audio is copied. auto (the default) \
      transcodes only when the request asks for \
      a size or frame rate the source does not already have.

      The last piece is merged into the previous chunk when it is shorter than --merge-last-under (default: a \
      quarter of the chunk duration). Chunks are written to --work-dir, else $CLIPLINE_WORK_DIR (the \
      per-message directory amqp-consume provides), else a fresh directory under $TMPDIR; each request gets a \
      subdirectory named after its process_id, holding chunk_001.mp4, chunk_002.mp4 and so on.

      UPLOADED WHILE CUT: with --to TEMPLATE=FIELD (the syntax, templates, --ttl, --presign, --copy-mode and fields \
      of blob-put), each chunk is sent to storage while it is cut, part by part (--part-size): S3 multipart parts 2 \
      to N, and Azure blocks, go from the chunk file as the muxer passes them, and part 1 (the head, the index moved \
      in front of the media, the first media bytes) with the tail once the cut ends, so a chunk still starts with \
      its index. Memory holds the parts in flight, not the chunk; a chunk under 5 MiB and one part goes in one \
      request. Each part is checked by the storage (S3 its CRC-32C, Azure its MD5); chunk_hash, the SHA-256 of the \
      stored object, is taken as the chunk is finished and kept with it. A chunk's record is written once it is \
      stored, in chunk order, with blob-put's fields (FIELD, FIELD_etag, FIELD_expires_at, chunk_sha256) and no \
      chunk_path; its file is removed then. A destination whose template names a field the record gets only when its \
      chunk is cut is sent the whole file once it is. A part that still fails after its attempts (5xx, timeouts, 5 \
      attempts, backoff up to 8 s, cut short by SIGTERM), a refused one, or SIGTERM stops the cut with its exit \
      code: the chunk's upload is aborted (no object, no open multipart upload), and chunks already stored keep \
      their records.

      STORAGE: an s3:// or az:// source and the --to destinations use blob-put's storage flags (--endpoint-url, \
      --region, --profile, --attempts, --part-size, ...), else the environment (AWS_*, AZURE_STORAGE_*).

      EXAMPLES:
        echo '{"process_id":42,"cloud_stream_path":"/videos/cam.mp4"}' | chunk
        chunk --source https://example.com/video.mp4 --chunk-duration 30s \\
          --mode copy -o /tmp/chunks
        chunk --source s3://uploads/cam.mp4 \\
          --to 's3://videos/cam/chunk_{chunk_id:03}.mp4=cloud_stream_path'
        amqp-consume --queue M0_PRIORITY_QUEUE -- \\
          chunk --to 's3://videos/{process_id}/chunk_{chunk_id:03}.mp4'

      \(RequestBounds.documentation)

      KEPT IN EACH CHUNK: the streams' side data and metadata a player needs (the display matrix that turns \
      portrait video upright, language, colour description, a valid codec tag), in copy and transcode mode. \
      NEVER EMITTED: a chunk without video (a boundary before the first keyframe moves to the next keyframe), or \
      a chunk from a damaged source: packets the demuxer marks corrupt, or H.264/HEVC packets whose NAL units do \
      not add up, fail the request (exit 65, "is damaged at N s") and the chunk being cut is deleted. The summary \
      line counts the chunks written. chunk_hash and chunk_bytes are taken as the chunk is written (it is not \
      read back; a chunk over 256 MiB is the exception, hashed by one read when it is closed).

      \(ExitStatus.documentation) A request that fails is reported on stderr with its line number and writes no \
      record for its unfinished chunk; chunks already written stay valid. File-system errors are one sentence: a \
      full disk is 75, a read-only or forbidden output directory 77, a process_id too long for a directory name \
      65. SIGTERM stops at the next packet or frame (exit 75).
      """,
    version: "chunk " + cliplineVersion)

  @OptionGroup var common: CommonOptions

  @Option(help: "copy, transcode, or auto (transcode only when the request asks for another size or frame rate).")
  var mode: ChunkMode = .auto

  @Option(help: "Chunk length for requests without video_preprocessing.chunk_duration (e.g. 60, 60s, 2m).")
  var chunkDuration = DurationArgument(seconds: 60)

  @Option(help: "Merge a last piece shorter than this into the previous chunk (default: a quarter of a chunk).")
  var mergeLastUnder: DurationArgument?

  @Option(
    name: [.customShort("o"), .customLong("work-dir")],
    help: ArgumentHelp(
      "Where chunk files go (else CLIPLINE_WORK_DIR, else a new temporary directory).", valueName: "dir"),
    completion: .directory)
  var workDir: String?

  @Option(name: .customLong("output-directory"), help: .hidden)
  var outputDirectory: String?

  @Option(help: "Cut this video (path or URL) instead of reading requests from stdin.", completion: .file())
  var source: String?

  @OptionGroup(title: "Uploading each chunk from memory") var upload: UploadDestinationOptions

  @OptionGroup(title: "Storage (the source and the --to destinations)") var storage: StorageOptions

  /// Accepted as before, no longer used: a chunk is sent while it is cut, never held whole in memory.
  @Option(help: .hidden)
  var memoryLimit = "1G"

  @Option(help: "libx264 preset for transcode mode (ultrafast ... veryslow).")
  var preset = "ultrafast"

  @Option(help: "libx264 constant rate factor for transcode mode (0-51, lower is better).")
  var crf = 23

  @Option(help: "How transcode mode fits another aspect ratio into width x height: pad, crop or stretch.")
  var fit: TranscodeSettings.Fit = .pad

  func validate() throws {
    guard RequestBounds.chunkDuration.contains(chunkDuration.seconds) else {
      throw ValidationError("--chunk-duration must be between 1 s and 24 h.")
    }
    if let merge = mergeLastUnder, !(0...RequestBounds.chunkDuration.upperBound).contains(merge.seconds) {
      throw ValidationError("--merge-last-under must be between 0 and 24 h.")
    }
    guard (0...51).contains(crf) else { throw ValidationError("--crf must be between 0 and 51.") }
    guard let limit = StorageTransferOptions.byteCount(memoryLimit), (16 << 20...16 << 30).contains(limit) else {
      throw ValidationError("--memory-limit must be between 16M and 16G.")
    }
  }

  func run() throws {
    let diagnostics = common.diagnostics(tool: "chunk")
    FFmpegLogging.configure(verbose: common.verbose)
    try runTool(diagnostics) {
      MallocTuning.forManyStreams()  // fetchers and part senders: see MallocTuning
      var options = Chunker.Options()
      options.mode = mode
      options.defaultChunkDuration = chunkDuration.seconds
      options.mergeLastUnder = mergeLastUnder?.seconds
      options.encoding = TranscodeSettings(fit: fit, preset: preset, crf: crf)
      var log: (@Sendable (String) -> Void)?
      if diagnostics.isEnabled(.debug) { log = { diagnostics.debug($0) } }
      let writer = RecordWriter()
      let stores = storage.stores()
      let work = try WorkDirectory.resolve(flag: workDir ?? outputDirectory, prefix: "chunk")
      defer { work.removeIfEmpty() }
      let chunker = Chunker(
        options: options, workDirectory: work,
        fetcher: SourceFetcher.standard(stores: stores), diagnostics: diagnostics, progress: ProgressLine())
      let reader =
        source.map { RecordReader(text: Record(["cloud_stream_path": .string($0)]).jsonText) } ?? RecordReader()
      let loop = RecordLoop(reader: reader, diagnostics: diagnostics)
      guard let uploader = try upload.uploader(stores: stores, log: log) else {
        try loop.run { record, line in try chunker.process(record, line: line) { try writer.write($0) } }
        return
      }
      // A chunk's upload ends after its cut (the tail, part 1, Complete, the server-side copies): with 2 in flight
      // the cut (and the source's download) stopped while two earlier chunks were still ending. A queued chunk is
      // its file, not memory.
      let uploads = InOrderUploads(uploader: uploader, inFlight: 4) { try writer.write($0) }
      func name(_ chunk: Record) -> String { String(format: "chunk_%03d.mp4", chunk["chunk_id"]?.integerValue ?? 0) }
      try loop.run { record, line in
        try uploads.run {
          try chunker.process(
            record, line: line,
            uploading: { chunk, path in try uploads.start(chunk, writingTo: path, name: name(chunk)) },
            emit: { chunk, body, started in
              try uploads.submit(chunk, written: body, started: started, name: name(chunk), stem: "chunk")
            })
        }
      }
    }
  }
}

extension ChunkMode: ExpressibleByArgument {}
extension TranscodeSettings.Fit: ExpressibleByArgument {}
