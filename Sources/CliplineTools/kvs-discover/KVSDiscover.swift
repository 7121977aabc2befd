import ArgumentParser
import CliplineCLI
import CliplineCache
import CliplineKVS
import CliplineKVSFlags
import CliplineRecords
import CliplineSystem
import CliplineTelemetry
import Foundation

struct KVSDiscover: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kvs-discover",
    abstract: "List the cameras streaming into Kinesis Video Streams, from a cache, or as KVS tasks for a time window.",
    discussion: """
      Writes one record per KVS stream: ACTIVE streams only unless --all, optionally only names starting with \
      --prefix (ListStreams' BEGINS_WITH condition). The list comes from a cache when it holds a fresh copy, else \
      from ListStreams (every page), and then rewrites the cache: Redis with --cache redis://HOST:PORT (key \
      s2:cameras:discovered, a JSON list, expiring after --ttl), else a file under the user's cache directory \
      ($XDG_CACHE_HOME/clipline or ~/.cache/clipline); --no-cache skips it. --refresh asks KVS even when the \
      cache is fresh. The cache is never a dependency: when Redis is down or holds unreadable data, a warning \
      goes to stderr and KVS answers.

      With --window, writes one KVS task per camera instead, for the last whole window that ended at least \
      --delay ago (windows are aligned to multiples of their length, so a rerun makes the same task): the \
      S2_PROCESSING_QUEUE message, with process_id and inference_config from --process-id, --inference-config \
      or --template. Without a process_id, each task gets one minted from its camera and window (a 53-bit \
      number): no two cameras or windows share one, and a rerun of a window gets the same, so storage keys made \
      from it never collide. inference_config is {} when none is given.

      RECORD FIELDS: writes camera_id (the stream name, or the --camera-id-tag tag), stream_name, stream_arn, \
      status, media_type, data_retention_hours, creation_time. With --window: camera_id, stream_arn, \
      stream_name, start_time, end_time, process_id, inference_config (+ --template fields).

      ENVIRONMENT: AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, \
      AWS_ENDPOINT_URL_KINESIS_VIDEO, AWS_CA_BUNDLE, XDG_CACHE_HOME, REDIS_URL (the cache, unless --cache), \
      REDIS_HOST and REDIS_PORT (S2's names, after REDIS_URL), REDIS_PASSWORD (for a Redis URL without one).

      EXAMPLES:
        kvs-discover --cache redis://127.0.0.1:6379 --ttl 5m
        kvs-discover --prefix Front --all --refresh
        kvs-discover --cache redis://127.0.0.1:6379 --window 60s --delay 30s \\
          --inference-config @inference.json | amqp-pub --queue S2_PROCESSING_QUEUE

      \(ExitStatus.documentation) 75: KVS kept throttling ListStreams; 77: KVS refused the credentials.
      """,
    version: "kvs-discover " + cliplineVersion)

  @OptionGroup var connection: KVSConnectionOptions

  @Option(name: .long, help: "Only streams whose name starts with this (ListStreams' BEGINS_WITH).")
  var prefix: String?

  @Flag(name: .long, help: "Every stream whatever its status, not only ACTIVE ones.")
  var all = false

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The cache: redis://[user@]host[:port][/db], or a directory (or file:// URL) for the file cache (default: "
        + "REDIS_URL, else REDIS_HOST and REDIS_PORT, else the file cache; REDIS_PASSWORD is the password).",
      valueName: "url"))
  var cache: String?

  @Flag(name: .long, help: "Use no cache at all.")
  var noCache = false

  @Option(name: .long, help: "How long a cached list stays fresh.")
  var ttl = DurationArgument(seconds: 300)

  @Option(name: .long, help: "The cache key (a --prefix is appended after a colon).")
  var cacheKey = CameraDiscovery.defaultCacheKey

  @Flag(name: .long, help: "Ask KVS even when the cache is fresh, and rewrite the cache.")
  var refresh = false

  @Option(name: .long, help: "A stream tag holding the camera id (one ListTagsForStream call per stream on a miss).")
  var cameraIdTag: String?

  @Option(name: .long, help: "Streams per ListStreams page (1-10000).")
  var pageSize = 1000

  @Option(
    name: .long, help: "Write one KVS task per camera for the last whole window of this length (e.g. 60s; 1s to 366d).")
  var window: DurationArgument?

  @Option(
    name: .long,
    help: "With --window: the window must have ended at least this long ago (KVS ingests late; up to 366d).")
  var delay = DurationArgument(seconds: 0)

  @Option(
    name: .long,
    help: ArgumentHelp(
      "With --window: compute the window as if it were this RFC 3339 time (backfills, reruns).", valueName: "time"))
  var at: String?

  @OptionGroup(title: "With --window") var task: KVSTaskOptions

  @OptionGroup var metrics: MetricsFileOption

  @OptionGroup var common: CommonOptions

  func validate() throws {
    if pageSize < 1 || pageSize > 10000 { throw ValidationError("--page-size must be between 1 and 10000.") }
    if noCache && cache != nil { throw ValidationError("--cache and --no-cache contradict each other; pass one.") }
    if let cache, cache.hasPrefix("redis:"), RedisURL(cache) == nil {
      throw ValidationError("--cache \(cache) is not a redis://host[:port][/db] URL.")
    }
    SecretFlags.noteURLPassword("--cache", cache, saferWays: "REDIS_PASSWORD in the environment")
    if let window, window.seconds < 1 { throw ValidationError("--window must be at least 1s.") }
    if let window, window.seconds > TaskWindow.maximumSeconds {
      throw ValidationError("--window must be at most 366d.")
    }
    if delay.seconds > TaskWindow.maximumSeconds { throw ValidationError("--delay must be at most 366d.") }
    if window == nil, !task.isEmpty || at != nil {
      throw ValidationError("--process-id, --inference-config, --template and --at go with --window.")
    }
    if let at, RFC3339.parse(at) == nil { throw ValidationError("--at \(at) is not an RFC 3339 time.") }
    if let window {
      let range = TaskWindow(length: window.seconds, delay: delay.seconds).range(
        now: at.flatMap(RFC3339.parse) ?? Date())
      guard TaskWindow.writableTimes.contains(range.start), TaskWindow.writableTimes.contains(range.end) else {
        throw ValidationError("--at \(at ?? "") puts the window outside the years 0001–9999 that RFC 3339 can write.")
      }
    }
  }

  /// `--cache`, else `REDIS_URL`, else S2's `REDIS_HOST`, else the file cache; `REDIS_PASSWORD` for a Redis URL
  /// without a password of its own.
  func recordCache(_ diagnostics: Diagnostics) -> RecordCache? {
    if noCache { return nil }
    var text = cache
    if text == nil, let (configured, variable) = RedisURL.fromEnvironment() {
      if RedisURL(configured) != nil {
        text = configured
      } else {
        diagnostics.warning("\(variable) does not make a redis://host[:port][/db] URL; using the file cache")
      }
    }
    if let text, let url = RedisURL(text) { return RedisRecordCache(url: url.withEnvironmentPassword()) }
    let directory = text.map { $0.hasPrefix("file://") ? String($0.dropFirst("file://".count)) : $0 }
    return FileRecordCache(directory: directory)
  }

  func run() throws {
    let diagnostics = common.diagnostics(tool: "kvs-discover")
    try runTool(diagnostics, metricsFile: metrics.textfile) {
      let discovery = CameraDiscovery(cache: recordCache(diagnostics), diagnostics: diagnostics) {
        try connection.client(diagnostics: diagnostics)
      }
      var options = CameraDiscovery.Options()
      options.prefix = prefix
      options.includeInactive = all
      options.refresh = refresh
      options.cacheKey = cacheKey
      options.cacheLifetime = ttl.seconds
      options.cameraIdTag = cameraIdTag
      options.pageSize = pageSize
      let began = Date()
      let (cameras, source) = try discovery.discover(options)
      diagnostics.debug(
        "\(cameras.count) cameras from the \(source.rawValue) in \(Int(Date().timeIntervalSince(began) * 1000)) ms")

      let writer = RecordWriter()
      if let window {
        let range = TaskWindow(length: window.seconds, delay: delay.seconds)
          .range(now: at.flatMap(RFC3339.parse) ?? Date())
        let builder = try task.builder()
        for camera in cameras {
          let task = try builder.task(for: camera, start: range.start, end: range.end)
          let trace = RecordTrace.begin()
          try writer.write(trace?.stamped(task) ?? task)
          trace?.finish("kvs-discover task", record: task)
        }
      } else {
        for camera in cameras { try writer.write(camera.record) }
      }
      ToolMetrics.recordsWritten(cameras.count, tool: diagnostics.tool)
    }
  }
}
