import ArgumentParser
import CliplineBlobStores
import CliplineCLI
import CliplineKVS
import CliplineKVSClipping
import CliplineKVSFlags
import CliplineRecords
import CliplineStorageFlags
import CliplineSystem
import Foundation

struct KVSClip: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kvs-clip",
    abstract: "Pull the MP4 between two times from a Kinesis Video stream for each KVS task (GetClip).",
    discussion: """
      Reads KVS tasks (the S2_PROCESSING_QUEUE message), or takes one task from --camera-id, --stream-arn or \
      --stream-name, --start-time and --end-time (a manual trigger). For each: checks the stream is ACTIVE \
      (DescribeStream; a stream that is not is skipped with a warning: no output, exit 0), lists the range's \
      fragments, and downloads the clip with GetClip into the work directory as {camera_id}/{start_time}.mp4, \
      streamed to disk. A task over 24 h (GetClip's longest range) is refused (65) before any call. A range \
      over GetClip's other limits (200 fragments, 100 MB) is fetched in several requests and joined into one \
      MP4 by stream copy, without re-encoding. --pad-start also asks for the fragment holding the start time, \
      which GetClip would drop (the clip then starts a little early: stream copy can only start on that \
      fragment's keyframe). --thumbnail writes {start_time}.jpg next to the clip. \
      Throttling (ClientLimitExceededException) is retried with jittered backoff. One log line per task gives \
      the timings of each step. Joining, a kept clip's duration and the thumbnail need FFmpeg: kvs-clip runs \
      kvs-clip-media, installed next to it, for them, so a clip streamed into storage never loads FFmpeg.

      STREAMED TO STORAGE: with --to TEMPLATE=FIELD (the syntax, templates, --ttl, --presign, --copy-mode and \
      fields of blob-put), the clip goes from GetClip straight into the upload as it arrives, hashed on the way: \
      when GetClip says its length, one S3 PUT sent while the bytes arrive (aws-chunked, its SHA-256 a trailing \
      checksum S3 verifies; not retried: 75); else one request from memory below --multipart-threshold, or a \
      multipart upload (S3) or blocks (Azure) whose --part-size parts go while the next arrive. Nothing is \
      written to the work directory unless \
      --keep-local (or --thumbnail, which needs the file) asks for the clip there too. A second destination on \
      the same service is a server-side copy (--copy-mode). A failure or SIGTERM mid-stream aborts the upload: no \
      object and no multipart upload is left, and no record is written. A range GetClip must fetch in several \
      requests is joined in the work directory first, then uploaded from there (and removed). S3 is reached at \
      AWS_ENDPOINT_URL_S3 (--endpoint-url is KVS's), with the same credentials and region.

      With --hls, writes the task plus an HLS streaming session URL instead (ON_DEMAND for the task's range, \
      or --hls-mode live), for operators.

      RECORD FIELDS: reads camera_id, stream_arn (or stream_name), start_time, end_time (RFC 3339); every other \
      field passes through. Writes clip_path, clip_bytes, clip_start_time and clip_end_time (the media's own \
      first and last instants), clip_duration (seconds), clip_sha256, thumbnail_path. With --to, also FIELD (the \
      object's URL), FIELD_etag, FIELD_expires_at (with --ttl) and FIELD_presigned_url (with --presign) per \
      destination; clip_bytes and clip_sha256 are then those of the bytes uploaded, clip_duration and \
      clip_end_time come from the fragments GetClip returned (from the media when a local copy is kept), and \
      clip_path is written only with --keep-local or --thumbnail. With --hls: hls_url, hls_playback_mode, \
      hls_expires_at.

      ENVIRONMENT: AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, \
      AWS_ENDPOINT_URL_KINESIS_VIDEO, AWS_CA_BUNDLE, CLIPLINE_WORK_DIR (the work directory amqp-consume \
      provides), S2_CLIP_DURATION (a task from flags without --end-time lasts this many seconds).

      EXAMPLES:
        amqp-consume --queue S2_PROCESSING_QUEUE -- kvs-clip \\
          --to 's3://videos/live/{camera_id}/{start_time}.mp4=cloud_stream_path'
        kvs-clip --thumbnail \\
          | blob-put --to 's3://videos/{camera_id}.mp4=clip_path' --remove-source
        kvs-clip --camera-id front --stream-name FrontEntrance \\
          --start-time 2026-02-26T14:30:00Z --end-time 2026-02-26T14:31:00Z \\
          --work-dir /tmp/clips
        echo '{"camera_id":"front","stream_name":"FrontEntrance"}' \\
          | kvs-clip --hls --hls-mode live

      \(ExitStatus.documentation) 65: a bad task (start_time not before end_time), no fragments in the range, an \
      empty clip, or media KVS cannot clip; 66: the stream does not exist; 75: KVS kept throttling, storage \
      answered 5xx or timed out, or SIGTERM; 69: storage could not be reached; 77: KVS or storage refused the \
      credentials; 78: a task needs kvs-clip-media (a join, a kept clip, a thumbnail) and it is not beside kvs-clip.
      """,
    version: "kvs-clip " + cliplineVersion)

  @OptionGroup var connection: KVSConnectionOptions

  @Option(name: .long, help: "One task from flags: the camera id.")
  var cameraId: String?

  @Option(name: .long, help: "One task from flags: the stream ARN.")
  var streamArn: String?

  @Option(name: .long, help: "One task from flags: the stream name.")
  var streamName: String?

  @Option(name: .long, help: ArgumentHelp("One task from flags: the clip start (RFC 3339).", valueName: "time"))
  var startTime: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "One task from flags: the clip end (RFC 3339; default: --start-time plus S2_CLIP_DURATION seconds).",
      valueName: "time"))
  var endTime: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Where clips go (else CLIPLINE_WORK_DIR, else a new temporary directory).", valueName: "dir"),
    completion: .directory)
  var workDir: String?

  @Option(name: .long, help: "Which clock the task's times are on: producer or server.")
  var timestamps: TimestampChoice = .producer

  @Flag(name: .long, help: "Also fetch the fragment holding start_time, which GetClip would drop.")
  var padStart = false

  @Flag(name: .long, help: "Write a JPEG of the clip's first frame next to it.")
  var thumbnail = false

  @Option(
    name: .long, help: "Take the thumbnail this far into the clip instead of the first frame (implies --thumbnail).")
  var thumbnailAt: DurationArgument?

  @Option(name: .long, help: "The thumbnail's width in pixels (the height keeps the aspect ratio).")
  var thumbnailWidth = 320

  @Flag(name: .long, help: "Write the HLS streaming session URL instead of downloading a clip.")
  var hls = false

  @Option(name: .long, help: "With --hls: live, live-replay or on-demand (the task's range).")
  var hlsMode: HLSModeChoice = .onDemand

  @Option(name: .long, help: "With --hls: how long the URL stays valid (5m-12h).")
  var hlsExpires = DurationArgument(seconds: 3600)

  @OptionGroup(title: "Streaming to storage") var upload: UploadDestinationOptions

  @Flag(help: "With --to: also keep the clip in the work directory (clip_path), for a later stage on this host.")
  var keepLocal = false

  @OptionGroup(title: "Streaming to storage") var transfer: StorageTransferOptions

  @OptionGroup var common: CommonOptions

  enum TimestampChoice: String, ExpressibleByArgument, CaseIterable {
    case producer, server
    var kind: KVSTimestampKind { self == .producer ? .producer : .server }
  }

  enum HLSModeChoice: String, ExpressibleByArgument, CaseIterable {
    case live
    case liveReplay = "live-replay"
    case onDemand = "on-demand"
    var mode: KVSPlaybackMode {
      switch self {
      case .live: return .live
      case .liveReplay: return .liveReplay
      case .onDemand: return .onDemand
      }
    }
  }

  var taskFromFlags: Bool {
    cameraId != nil || streamArn != nil || streamName != nil || startTime != nil || endTime != nil
  }

  /// `--end-time`, else `--start-time` plus `S2_CLIP_DURATION`: S2's default clip length (seconds), which an S2
  /// deployment already sets.
  func taskEndTime() throws -> String? {
    if let endTime { return endTime }
    guard let text = Settings.environment("S2_CLIP_DURATION"), let startTime, let start = RFC3339.parse(startTime)
    else { return nil }
    guard let seconds = Double(text), (1...86400).contains(seconds) else {
      throw ValidationError(
        "S2_CLIP_DURATION is \"\(text)\"; set it to the clip's length in seconds (1 to 86400), or unset it.")
    }
    return RFC3339.format(start.addingTimeInterval(seconds))
  }

  func validate() throws {
    if taskFromFlags {
      guard cameraId != nil, streamArn != nil || streamName != nil else {
        throw ValidationError("A task from flags needs --camera-id and --stream-arn or --stream-name.")
      }
      if !(hls && hlsMode == .live) {
        guard let startTime, let endTime = try taskEndTime() else {
          throw ValidationError(
            "A task from flags needs --start-time and --end-time (or S2_CLIP_DURATION, the clip's length in seconds).")
        }
        guard let start = RFC3339.parse(startTime) else { throw ValidationError("--start-time is not RFC 3339.") }
        guard let end = RFC3339.parse(endTime) else { throw ValidationError("--end-time is not RFC 3339.") }
        if start >= end { throw ValidationError("--start-time must be before --end-time: the clip would be empty.") }
      }
    }
    if keepLocal && upload.destinations.isEmpty {
      throw ValidationError(
        "--keep-local keeps a copy of a clip streamed with --to; without --to the clip is a file anyway.")
    }
    if hls && !upload.destinations.isEmpty { throw ValidationError("--hls writes a URL, not a clip: drop --to.") }
    if thumbnailWidth < 16 || thumbnailWidth > 8192 { throw ValidationError("--thumbnail-width must be 16-8192.") }
    if hls, hlsExpires.seconds < 300 || hlsExpires.seconds > 43200 {
      throw ValidationError("--hls-expires must be between 5m and 12h (KVS's limits).")
    }
  }

  func run() throws {
    let diagnostics = common.diagnostics(tool: "kvs-clip")
    try runTool(diagnostics) {
      // SIGTERM (runTool listens) aborts the transfer under way (libcurl's progress callback) and the tasks not started.
      let work = try WorkDirectory.resolve(flag: workDir, prefix: "kvs-clip")
      defer { work.removeIfEmpty() }
      var options = ClipExtractor.Options(workDirectory: work.path)
      options.timestampKind = timestamps.kind
      options.padStart = padStart
      options.thumbnail = thumbnail || thumbnailAt != nil
      options.thumbnailAt = thumbnailAt?.seconds
      options.thumbnailWidth = thumbnailWidth
      var log: (@Sendable (String) -> Void)?
      if diagnostics.isEnabled(.debug) { log = { diagnostics.debug($0) } }
      options.upload = try upload.uploader(
        stores: transfer.stores(aws: connection.aws, s3Endpoint: nil), log: log)
      options.keepLocal = keepLocal
      let extractor = ClipExtractor(
        client: try connection.client(diagnostics: diagnostics), options: options, diagnostics: diagnostics)
      let writer = RecordWriter()
      let handle: (Record, Int?) throws -> Void = { record, line in
        if ShutdownSignal.shared.isRequested { throw StoppedBySignal("before this task; it was not clipped") }
        if hls {
          try writer.write(try extractor.hlsRecord(record, mode: hlsMode.mode, expires: Int(hlsExpires.seconds)))
        } else if let output = try extractor.process(record, line: line) {
          try writer.write(output)
        }
      }
      if taskFromFlags {
        var task = Record(["camera_id": .string(cameraId ?? "")])
        if let streamArn { task["stream_arn"] = .string(streamArn) }
        if let streamName { task["stream_name"] = .string(streamName) }
        if let startTime { task["start_time"] = .string(startTime) }
        if let endTime = try taskEndTime() { task["end_time"] = .string(endTime) }
        try handle(task, nil)
      } else {
        try RecordLoop(diagnostics: diagnostics).run { record, line in try handle(record, line) }
      }
    }
  }
}
