import ArgumentParser
import CliplineBlobStores
import CliplineCLI
import CliplineCache
import CliplineKVS
import CliplineKVSFlags
import CliplineKVSFollowing
import CliplineMedia
import CliplineRecords
import CliplineStorageFlags
import CliplineSystem
import CliplineTelemetry
import Foundation

struct KVSFollow: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kvs-follow",
    abstract: "Follow Kinesis Video streams live (GetMedia) and write one record per window the moment it is complete.",
    discussion: """
      Reads camera records (what kvs-discover writes), or follows the streams named by --stream, and keeps one \
      GetMedia connection per stream open, for ever: the fragments KVS sends as the camera sends them are cut into \
      windows of --window, aligned to multiples of their length on the stream's clock as kvs-discover --window \
      aligns its tasks (the server's clock by default, which KVS keeps monotonic per stream; --timestamps \
      producer for the camera's). A window holds the fragments that start in it (in copy mode a window starts on \
      its first fragment: the record says where its media really starts and ends) and is complete when a fragment \
      of a later window begins, or, on the server's clock, when nothing came for --idle-timeout past its end. \
      Each window is a fragmented MP4 made while it arrives, stream-copied, the same bytes whenever the same \
      window is cut again; with --to it is sent part by part as it is made (S3 multipart parts, Azure blocks: \
      blob-put's destinations, --ttl, --copy-mode, --part-size), from a file in a directory of its own under \
      CLIPLINE_WORK_DIR (else $TMPDIR) removed once stored (what a follower killed with -9 left there, the next \
      one removes), so only its last part and its first are left to send when it \
      closes; without, it is written to --work-dir/{camera_id}/{start_time}.mp4. A codec change inside a window splits it into parts, each a file of \
      its own (a later part starts at its first fragment).

      SESSIONS AND GAPS: a session KVS ends (after about 45 minutes, without an error) is opened again at once \
      from the last fragment. No byte for --idle-timeout: the session is opened again with jittered backoff; a \
      camera that stays away is said once on stderr, and its windows carry missing_seconds. The data endpoint is \
      kept per stream and asked again when KVS refuses it. A fourth reader of a stream is refused by KVS (three \
      are allowed): kvs-follow holds one.

      RESUME AND MANY HOSTS: after each window's record is written, the stream's position (its last fragment) is \
      saved where --state says: file://DIR (the default: $XDG_STATE_HOME/clipline/kvs-follow, else \
      ~/.local/state/clipline/kvs-follow; a lock file keeps a second kvs-follow on this host off the stream) or \
      redis://HOST[:PORT][/DB]. A restart (even after kill -9) goes on after the last recorded window: the window \
      under way is cut again with the same storage key and the same bytes, none is missing, none stored twice \
      differently. With redis://, any number of kvs-follow processes on any number of hosts share the cameras: \
      each stream is held by exactly one through a Redis lease with a fencing token (renewed every quarter of \
      --lease; a follower that lost its lease can no longer move a position), each process takes its share of \
      the cameras, and the streams of a process that dies are taken over by the others within --lease plus a \
      quarter of it. Camera records arriving later on stdin are picked up; a stream deleted or not ACTIVE is \
      dropped (said once) until offered again.

      SIGTERM: windows not yet complete are left for the next follower (their position is not saved), and \
      kvs-follow exits 0 within 2 s. --health-file writes each stream's state and seconds behind now every second.

      RECORD FIELDS: for each window, the fields kvs-clip writes for the same window and destinations: the task \
      (camera_id, stream_arn, stream_name, start_time, end_time, and --process-id, --inference-config, --template \
      as kvs-discover --window has them), clip_start_time, clip_end_time, clip_duration, and with --to each FIELD, \
      FIELD_etag (FIELD_expires_at, FIELD_presigned_url), clip_bytes and clip_sha256; without --to, clip_path, \
      clip_bytes, clip_sha256. Plus first_fragment_number and last_fragment_number (decimal strings of any \
      length), fragment_count, and missing_seconds when the camera sent nothing for part of the window.

      THE FAST PATH: with --record chunk, each window is written as the chunk record M0 writes for a clip cut into \
      one chunk, so gql-mutate --op create-chunk and M1's message take it as they take chunk's: chunk_id 1, \
      chunk_hash and chunk_bytes (the file's SHA-256 and size), chunk_duration, start_time 0, end_time (the \
      duration), time_offset 0, chunk_mode copy, chunk_start_time and chunk_end_time (the media's), \
      live_start_time, inference_modality live, chunk_path without --to; the window's bounds are not repeated \
      (they were its storage key's). Each window is a job of its own: without --process-id or a process_id in \
      --template, its process_id is minted from its camera and start, the same when it is cut again.

      ENVIRONMENT: AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, \
      AWS_ENDPOINT_URL_KINESIS_VIDEO (and AWS_ENDPOINT_URL_S3 for --to s3://), XDG_STATE_HOME, CLIPLINE_WORK_DIR.

      EXAMPLES:
        kvs-discover | kvs-follow --window 60s \\
          --to 's3://videos/live/{camera_id}/{start_time}.mp4=cloud_stream_path'
        kvs-follow --stream FrontEntrance --window 10s --work-dir /var/lib/clips \\
          --start earliest
        kvs-discover | kvs-follow --window 60s --state redis://redis:6379 \\
          --lease 10s --health-file /run/follow.json \\
          --to 's3://videos/live/{camera_id}/{start_time}.mp4=cloud_stream_path' \\
          | amqp-pub --queue S2_DONE

      \(ExitStatus.documentation) 0 also after SIGTERM (or SIGINT, SIGHUP), and when stdin ends without a camera \
      record; 64: a bad flag (a window of 0 or over 24 h); 66: a \
      --stream that does not exist; 65: a camera record without camera_id, stream_name, stream_arn or status \
      (said for its line; the others are followed); 69: the --state Redis cannot be reached at start.
      """,
    version: "kvs-follow " + cliplineVersion)

  @OptionGroup var connection: KVSConnectionOptions

  @Option(name: .long, help: ArgumentHelp("Follow this stream (a name or an ARN; repeatable).", valueName: "stream"))
  var stream: [String] = []

  @Option(name: .long, help: "The window length (e.g. 60s; 1s to 24h).")
  var window: DurationArgument

  @Option(name: .long, help: "The clock windows are aligned on: server or producer.")
  var timestamps: ClockChoice = .server

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Where a stream with no saved position starts: now, earliest, or an RFC 3339 time.", valueName: "start"))
  var start = "now"

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Where positions are kept: file://DIR or redis://HOST[:PORT][/DB] (REDIS_PASSWORD is the password of a URL "
        + "without one).", valueName: "url"))
  var state: String?

  @Option(name: .long, help: "With --state redis://: how long a stream's lease lasts without renewal (2s to 5m).")
  var lease = DurationArgument(seconds: 10)

  @Option(name: .long, help: "No byte for this long: reconnect with backoff (1s to 5m).")
  var idleTimeout = DurationArgument(seconds: 5)

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Where windows go without --to (else CLIPLINE_WORK_DIR, else a new temporary directory).", valueName: "dir"),
    completion: .directory)
  var workDir: String?

  @Option(name: .long, help: ArgumentHelp("Write each stream's state here every second.", valueName: "path"))
  var healthFile: String?

  @Option(name: .long, help: "Each window's record: clip (kvs-clip's) or chunk (M0's chunk record, the fast path).")
  var record: RecordChoice = .clip

  @OptionGroup(title: "Window tasks") var task: KVSTaskOptions

  @OptionGroup(title: "Streaming to storage") var upload: UploadDestinationOptions

  @OptionGroup(title: "Streaming to storage") var transfer: StorageTransferOptions

  @OptionGroup var metrics: MetricsOptions

  @OptionGroup var common: CommonOptions

  enum RecordChoice: String, ExpressibleByArgument, CaseIterable {
    case clip, chunk
    var form: WindowRecordForm { self == .chunk ? .chunk : .clip }
  }

  enum ClockChoice: String, ExpressibleByArgument, CaseIterable {
    case server, producer
    var kind: KVSTimestampKind { self == .producer ? .producer : .server }
  }

  func validate() throws {
    guard window.seconds >= 1, window.seconds <= 86400 else {
      throw ValidationError("--window must be between 1s and 24h, found \(window).")
    }
    guard window.seconds == window.seconds.rounded(.down) || window.seconds * 1000 == (window.seconds * 1000).rounded()
    else { throw ValidationError("--window must be a whole number of milliseconds.") }
    if idleTimeout.seconds < 1 || idleTimeout.seconds > 300 {
      throw ValidationError("--idle-timeout must be 1s to 5m.")
    }
    if lease.seconds < 2 || lease.seconds > 300 { throw ValidationError("--lease must be 2s to 5m.") }
    SecretFlags.noteURLPassword("--state", state, saferWays: "REDIS_PASSWORD in the environment")
    _ = try followStart()
    _ = try stateLocation()
    if !upload.destinations.isEmpty && workDir != nil {
      throw ValidationError("--work-dir is where windows go without --to: pass one of them.")
    }
  }

  func followStart() throws -> FollowStart {
    switch start {
    case "now": return .now
    case "earliest": return .earliest
    default:
      guard let date = RFC3339.parse(start) else {
        throw ValidationError("--start must be now, earliest or an RFC 3339 time, found \(start).")
      }
      return .at(KVSMillis(Int64((date.timeIntervalSince1970 * 1000).rounded())))
    }
  }

  /// `--state`: a directory, or a Redis (which also makes the streams' leases).
  func stateLocation() throws -> (directory: String?, redis: RedisURL?) {
    guard let state else { return (FilePositionStore.defaultDirectory, nil) }
    if state.hasPrefix("redis://") {
      guard let url = RedisURL(state) else {
        throw ValidationError("--state \(state) is not a redis://host[:port][/db] URL.")
      }
      return (nil, url.withEnvironmentPassword())
    }
    guard state.hasPrefix("file://"), state.count > "file://".count else {
      throw ValidationError("--state must be file://DIR or redis://HOST[:PORT][/DB], found \(state).")
    }
    return (String(state.dropFirst("file://".count)), nil)
  }

  func run() throws {
    let diagnostics = common.diagnostics(tool: "kvs-follow")
    // A span per window, not one for a run that lasts for days.
    try runTool(diagnostics, traced: false) {
      FFmpegLogging.configure(verbose: common.verbose)
      MallocTuning.forManyStreams(mappingFrom: 1 << 20)  // a thread per camera: see MallocTuning
      let work = try windowDirectory(diagnostics)
      defer { work.remove() }
      let follower = try makeFollower(diagnostics, directory: work.path)
      let listener = try serveMetrics(follower, diagnostics)
      defer {
        listener?.close()
        Tracing.shared.flush()  // the last windows' spans
      }
      // Camera records are read on a thread of their own while the followers run (stdin may stay open for ever).
      let reading = ThreadPool(width: 1)
      if stream.isEmpty {
        reading.submit { Self.readCameras(into: follower, diagnostics) }
      } else {
        let client = try connection.client(diagnostics: diagnostics)
        for name in stream {
          let reference = name.hasPrefix("arn:") ? KVSStreamReference(arn: name) : KVSStreamReference(name: name)
          follower.offer(CameraRecord(stream: try client.describeStream(reference)))
        }
      }
      try follower.run()
    }
  }

  /// Where windows are written. Without --to, the files' home (--work-dir, CLIPLINE_WORK_DIR, else a new temporary
  /// directory). With --to, windows stay only while they are sent: a directory of this process's own under
  /// CLIPLINE_WORK_DIR (else $TMPDIR), locked while it runs, so that the next follower removes what one killed with
  /// -9 left half-written (LockedDirectories.sweep) and never what a live one writes.
  func windowDirectory(_ diagnostics: Diagnostics) throws -> (path: String, remove: () -> Void) {
    guard !upload.destinations.isEmpty else {
      let work = try WorkDirectory.resolve(flag: workDir, prefix: "kvs-follow")
      return (work.path, { work.removeIfEmpty() })  // the windows' files stay: their records name them
    }
    let base = Settings.environment(WorkDirectory.environmentVariable) ?? WorkDirectory.temporaryBase
    try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
    let directories = LockedDirectories(prefix: "kvs-follow", base: base)
    for left in directories.sweep() { diagnostics.info("removed \(left), left by a follower that was killed") }
    let entry = try directories.make()
    return (entry.path, { directories.remove(entry) })
  }

  /// `--metrics-listen` and `--metrics-file` on the process's registry: the streams' series, what was stored, and
  /// the build; the file is written every 5 s and once more when every follower stopped.
  func serveMetrics(_ follower: KVSFollower, _ diagnostics: Diagnostics) throws -> MetricsListener? {
    guard metrics.isEnabled else { return nil }
    let registry = ToolMetrics.registry
    registry.describeProcess(tool: "kvs-follow", version: cliplineVersion)
    if let textfile = metrics.file.textfile.map({ PacedTextfile($0) }) {
      follower.eachRound = { stopped in
        if let failure = textfile.write(registry, force: stopped) { diagnostics.warning(describe(failure)) }
      }
    }
    let probes = MetricsListener.Probes(
      health: { nil }, readiness: { ShutdownSignal.shared.isRequested ? "stopping" : nil })
    return try metrics.listener(registry, probes: probes, diagnostics: diagnostics)
  }

  /// Camera records from stdin, offered as they come, while the followers run; a bad line is said and skipped.
  /// Input that ends without a camera (empty, or closed) leaves nothing to follow: kvs-follow ends (0).
  static func readCameras(into follower: KVSFollower, _ diagnostics: Diagnostics) {
    let reader = RecordReader(lines: .standardInputEndingOnShutdown())
    var offered = 0
    defer {
      if offered == 0 && !ShutdownSignal.shared.isRequested {
        diagnostics.info("no camera record on stdin: nothing to follow")
        ShutdownSignal.shared.request()
      }
    }
    for input in reader {
      do {
        let record = try input.record.get()
        guard let camera = CameraRecord(fields: record.fields) else {
          let missing = ["camera_id", "stream_name", "stream_arn", "status"].first { record[$0]?.stringValue == nil }
          throw InputError.missingField(missing ?? "camera_id")
        }
        follower.offer(camera)
        offered += 1
      } catch {
        diagnostics.report(error, line: input.number)
      }
    }
  }

  func makeFollower(_ diagnostics: Diagnostics, directory: String) throws -> KVSFollower {
    let location = try stateLocation()
    var settings = FollowSettings(
      windowMillis: Int64((window.seconds * 1000).rounded()), kvs: try connection.configuration(),
      tasks: try task.builder()
    )
    settings.clock = timestamps.kind
    settings.start = try followStart()
    settings.idleTimeout = idleTimeout.seconds
    settings.form = record.form
    var coordination: RedisCoordination?
    let positions: PositionStore
    if let redis = location.redis {
      let shared = RedisCoordination(url: redis, leaseSeconds: lease.seconds)
      _ = try shared.heartbeat()
      coordination = shared
      positions = shared
    } else {
      positions = try FilePositionStore(directory: location.directory!)
    }
    let storage = try storageMaker(diagnostics, directory: directory)
    let records = WindowRecords(writer: RecordWriter(), positions: positions)
    return KVSFollower(
      coordination: coordination, health: try healthFile.map { try HealthFile(path: $0, diagnostics: diagnostics) }
    ) { fail in
      FollowContext(
        settings: settings, records: records, positions: positions, makeStorage: storage, diagnostics: diagnostics,
        fail: fail)
    }
  }

  /// Each stream's storage: its own uploader (so one camera's window never waits for another's), sending each window
  /// from a file in the work directory while it is written, or files.
  func storageMaker(_ diagnostics: Diagnostics, directory: String) throws -> @Sendable () throws -> WindowStorage {
    var log: (@Sendable (String) -> Void)?
    if diagnostics.isEnabled(.debug) { log = { diagnostics.debug($0) } }
    let stores = transfer.stores(aws: connection.aws, s3Endpoint: nil)
    if let uploader = try upload.uploader(stores: stores, log: log) {
      return { PartedWindowStorage(uploader: uploader.independent(), directory: directory) }
    }
    return { WindowFileStorage(directory: directory) }
  }
}
