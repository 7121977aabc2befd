import ArgumentParser
import CliplineAMQP
import CliplineAMQPFlags
import CliplineCLI
import CliplineRecords
import CliplineSystem
import CliplineTelemetry
import Foundation

struct AMQPConsume: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "amqp-consume",
    abstract: "Consume a RabbitMQ queue: print messages as JSON lines, or run a command once per message.",
    discussion: """
      Without a command, writes each message's body (a JSON object) to stdout as one line and acks it only after \
      the line is written; with --envelope the line gets an "amqp" field: exchange, routing_key, redelivered, \
      headers, properties. A body that is not a JSON object goes to the dead-letter queue (--dlq, default QUEUE.dlq) \
      with x-clipline-error saying why and x-clipline-exit-code 65, and the run ends with exit 65. In both modes a \
      message whose headers cannot be read is dead-lettered the same way instead of being run.

      With -- CMD ARGS..., runs CMD once per message (no shell), --jobs at a time (the prefetch matches), \
      the body on stdin, the handler's stdout on ours, its stderr relayed to ours line by line (a line is cut at \
      16 KB, and the relayed line says how much was dropped). Under --log-format json each relayed line is one JSON \
      object with message_id, queue, trace_id and span_id added (a line that is already a JSON object keeps its fields), and the \
      handler gets CLIPLINE_LOG_FORMAT=json so its tools write JSON too. Its environment adds \
      AMQP_QUEUE, AMQP_EXCHANGE, AMQP_ROUTING_KEY, AMQP_MESSAGE_ID, AMQP_REDELIVERED (true/false), AMQP_HEADERS \
      (a JSON object), AMQP_ATTEMPT (1, 2, ...), TRACEPARENT and TRACESTATE (W3C trace context: the consumer's \
      span for this message, a child of the message's traceparent header, or a new trace) and \
      CLIPLINE_WORK_DIR: a fresh directory (mode 0700) for this \
      message, removed afterwards whatever happened. With --metrics-listen or --metrics-file, or spans exported, \
      the handler also gets descriptor 3 (CLIPLINE_REPORT_FD=3): its tools write their spans, counts and stage \
      timings there, and the consumer exports the spans and shows the figures under its queue. --timeout stops \
      the handler's whole process group (SIGTERM, SIGKILL 5 s later), and so does the handler's exit to whatever \
      it left running in its group. A handler that cannot start for want of our descriptors, memory or processes \
      is not the message's fault: the message is requeued after a growing delay (not an attempt) and fewer \
      handlers run at once from then on; when not even one can start and none runs, amqp-consume exits 75 and \
      the broker keeps the messages.

      Handlers, and everything they start, die with amqp-consume, even by kill -9 (the parent-death signal, and \
      a watchdog shell that kills their process groups); a new amqp-consume removes the work directories, and \
      kills any process, that a dead one left behind.

      OUTCOME BY EXIT CODE: 0 acks the message. 75 or 69 (or a timeout) retries it: a copy waits in QUEUE.retry for \
      --retry-delay (doubling each attempt) and flows back to the queue, at most --max-retries times. Anything \
      else, or retries used up, publishes the original body and every property to the dead-letter queue (--dlq, \
      default QUEUE.dlq) with headers x-clipline-error (the stderr tail), x-clipline-exit-code, x-clipline-queue, \
      x-clipline-routing-key, x-clipline-failed-at (an AMQP timestamp), x-clipline-attempts and \
      x-clipline-copy-id (a UUID per copy, which matches a returned copy to its message); once the broker \
      confirmed that copy, \
      --on-failure has run (sh -c, body on stdin, AMQP_ERROR and AMQP_EXIT_CODE set) and the original is acked. \
      Credentials in the error text (URL passwords, PEM private keys, Authorization values, Bearer/Basic, SigV4 \
      and SAS signatures, token=, secret=, password= and the same names as JSON keys, --secret-access-key VALUE, \
      and the AWS secret and session token in the environment) are masked. A copy the broker does not accept \
      (the dead-letter queue was deleted) keeps the original, requeued after a growing delay. Without --dlq or \
      --declare, when QUEUE.dlq does not exist, a failed message is rejected without requeue, as amqp-tools' \
      consumer drops it (said once at start). One line per message on stderr says the outcome and the duration.

      SIGTERM/SIGINT/SIGHUP: no new messages; running handlers get --grace to finish, then are stopped and their \
      messages requeued, like those not started; exit 0. A lost connection is re-established with backoff (for \
      ever, or --reconnect-for); messages unacked at that moment are redelivered by the broker. A queue deleted \
      under the consumer (the broker cancels it) is said on stderr and subscribed to again once it exists, with \
      the same backoff and state "reconnecting". --health-file \
      keeps a JSON file with the state and counters, rewritten at least every second while running; its state is \
      "connected", "recovering" (reconnected, but nothing settled and not yet 30 s without a loss), \
      "reconnecting" or "stopped".

      CONSUMER TIMEOUT: RabbitMQ closes a channel whose delivery stays unacked past consumer_timeout (30 min by \
      default; in 3.10 only the global rabbitmq.conf setting works, not a queue argument or policy), which \
      requeues every message on it. amqp-consume stops a handler shortly before --consumer-timeout (set it to the \
      broker's value; 0 if the broker has it disabled) and retries it as a timeout. For longer jobs, raise \
      consumer_timeout on the broker and --consumer-timeout here.

      AMQP-TOOLS: a script written for Debian's amqp-tools keeps working: -u/--url, -q/--queue, -e/--exchange \
      and -r/--routing-key (bind the queue to the exchange first), -c/--count, -p/--prefetch-count, --heartbeat, \
      --cacert/--cert/--key, and the command right after the flags (no -- needed). Not taken: -A/--no-ack (a \
      message is acked only once handled), -d/-x (an exclusive server-named queue), -s/--server, --port, \
      --vhost, --username, --password, --authfile, --ssl (say them in --url).

      ENVIRONMENT: AMQP_URL (the broker, when --url is not given).

      EXAMPLES:
        amqp-consume --queue M0_RESULTS_QUEUE --count 10 --envelope
        amqp-consume --queue M0_PRIORITY_QUEUE --dlq M0_DEADLETTER_QUEUE --declare \\
          --jobs 2 --on-failure 'gql-mutate --op set-status --status FAILED' \\
          -- ./m0-worker.sh
        amqp-consume --queue M0_PRIORITY_QUEUE -- \\
          sh -c 'chunk | blob-put --to "s3://b/{process_id}/{chunk_id:03}.mp4"'

      \(ExitStatus.documentation) 69: the broker is unreachable (past --reconnect-for); 77: access refused; \
      78: the queue, or a dead-letter queue named with --dlq, does not exist, or exists with other arguments.
      """,
    version: "amqp-consume " + cliplineVersion)

  @OptionGroup var connection: ConnectionFlags
  @OptionGroup var topology: TopologyFlags

  @Option(name: .shortAndLong, help: "The queue to consume.")
  var queue: String

  @Option(name: .shortAndLong, help: "Bind the queue to this exchange before consuming (with --routing-key).")
  var exchange: String?

  @Option(name: .shortAndLong, help: "With --exchange: the routing key to bind with (default: empty).")
  var routingKey: String?

  @Flag(name: .long, help: "Print mode: add an \"amqp\" field with routing key, headers and properties.")
  var envelope = false

  @Option(name: .shortAndLong, help: "Stop after this many messages.")
  var count: Int?

  @Option(name: .long, help: "Stop once no message came for this long (and nothing is running).")
  var idleTimeout: DurationArgument?

  @Option(
    name: [.customShort("p"), .customLong("prefetch-count")],
    help: "Print mode: how many unacked messages the broker may send ahead (with a handler: --jobs).")
  var prefetchCount: Int?
  @Option(name: .customLong("prefetch"), help: .hidden) var prefetchAlias: Int?
  var prefetch: Int { prefetchCount ?? prefetchAlias ?? 100 }

  @Option(name: .long, help: "How many handlers run at once (and the prefetch count).")
  var jobs: Int?
  @Option(name: .customLong("concurrency"), help: .hidden) var concurrencyAlias: Int?
  var concurrency: Int { jobs ?? concurrencyAlias ?? 1 }

  @Option(name: .long, help: "Stop a handler (its whole process group) after this long; it counts as a retry.")
  var timeout: DurationArgument?

  @Option(name: .long, help: "How often a message whose handler exits 75 or 69 is retried before it is dead-lettered.")
  var maxRetries = 3

  @Option(name: .long, help: "The wait before the first retry; it doubles for each further attempt.")
  var retryDelay = DurationArgument(seconds: 30)

  @Option(name: .long, help: "A shell command run for each message that goes to the dead-letter queue.")
  var onFailure: String?

  @Option(name: .long, help: "After SIGTERM/SIGINT, how long running handlers may take before they are stopped.")
  var grace = DurationArgument(seconds: 30)

  @Option(name: .long, help: "The broker's consumer_timeout (0: disabled there); handlers are stopped before it.")
  var consumerTimeout = DurationArgument(seconds: 1800)

  @Option(name: .long, help: "How long to keep reconnecting when the broker goes away (default: for ever).")
  var reconnectFor: DurationArgument?

  @Option(name: .long, help: "Keep this JSON file updated with connection state and counters.", completion: .file())
  var healthFile: String?

  @OptionGroup var metrics: MetricsOptions

  @OptionGroup var common: CommonOptionsWithoutDashQ

  /// The handler, after `--` or (as amqp-tools takes it) right after the flags: everything from the first word
  /// that is not one of our flags on belongs to it.
  @Argument(
    parsing: .captureForPassthrough,
    help: ArgumentHelp("The handler: a command and its arguments, run once per message.", valueName: "command"))
  var handlerWords: [String] = []
  var command: [String] { handlerWords.first == "--" ? Array(handlerWords.dropFirst()) : handlerWords }

  func validate() throws {
    let week = 7 * 86400.0
    try timeout?.check("--timeout", within: 0.001...week)
    try idleTimeout?.check("--idle-timeout", within: 0.001...week)
    try retryDelay.check("--retry-delay", within: 0.001...86400)
    try grace.check("--grace", within: 0...3600)
    try consumerTimeout.check("--consumer-timeout", within: 0...(30 * 86400))
    try reconnectFor?.check("--reconnect-for", within: 0...week)
    try check(concurrency, "--jobs", within: 1...256)
    try check(prefetch, "--prefetch-count", within: 1...65535)
    if let count { try check(count, "--count", within: 1...Int(Int32.max)) }
    try check(maxRetries, "--max-retries", within: 0...1000)
    if routingKey != nil && exchange == nil { throw ValidationError("--routing-key goes with --exchange.") }
    if command.isEmpty {
      if onFailure != nil || timeout != nil || concurrency != 1 {
        throw ValidationError("--on-failure, --timeout and --jobs go with a handler: add -- CMD ARGS....")
      }
    } else if envelope {
      throw ValidationError("--envelope is for print mode; a handler gets the envelope in its environment.")
    } else if !Self.isExecutable(command[0]) {
      // Caught here, a typo fails at once instead of dead-lettering every message with "cannot run".
      throw ValidationError("The handler \"\(command[0])\" is not an executable file or on $PATH.")
    }
    if let timeout, consumerTimeout.seconds > 0, timeout.seconds >= consumerTimeout.seconds {
      throw ValidationError(
        "--timeout \(timeout) reaches the broker's consumer_timeout (\(consumerTimeout)): RabbitMQ would close the "
          + "channel first. Raise consumer_timeout in rabbitmq.conf and pass it as --consumer-timeout.")
    }
  }

  static func isExecutable(_ command: String) -> Bool {
    if command.contains("/") { return access(command, X_OK) == 0 }
    let path = Settings.environment("PATH") ?? "/usr/bin:/bin"
    return path.split(separator: ":").contains { access("\($0)/\(command)", X_OK) == 0 }
  }

  func consumerTelemetry(_ settings: ConsumerSettings) -> ConsumerTelemetry {
    let telemetry = ConsumerTelemetry(
      queue: queue, deadLetterQueue: command.isEmpty ? nil : settings.topology.deadLetterQueue,
      handlerTimeout: command.isEmpty ? nil : settings.effectiveHandlerTimeout, textfile: metrics.file.textfile)
    telemetry.registry.describeProcess(tool: "amqp-consume", version: cliplineVersion)
    return telemetry
  }

  func run() throws {
    let diagnostics = common.diagnostics(tool: "amqp-consume", traced: false)
    try runTool(diagnostics, traced: false) {
      var settings = ConsumerSettings(topology: topology.topology(queue: queue))
      settings.declare = topology.declare
      settings.deadLetterQueueNamed = topology.declare || topology.dlq != nil
      settings.binding = exchange.map { ($0, routingKey ?? "") }
      settings.prefetch = prefetch
      settings.count = count
      settings.idleTimeout = idleTimeout?.seconds
      settings.grace = grace.seconds
      settings.policy = FailurePolicy(maxRetries: maxRetries, retryDelay: retryDelay.seconds)
      settings.handlerTimeout = timeout?.seconds
      settings.consumerTimeout = consumerTimeout.seconds
      settings.reconnectFor = reconnectFor?.seconds
      let mode: ConsumerMode =
        command.isEmpty
        ? .print(envelope: envelope) : .handler(command: command, concurrency: concurrency, onFailure: onFailure)
      let telemetry = metrics.isEnabled ? consumerTelemetry(settings) : nil
      let listener = try telemetry.flatMap {
        try metrics.listener($0.registry, probes: $0.probes, diagnostics: diagnostics)
      }
      defer {
        listener?.close()
        Tracing.shared.flush()
      }
      let consumer = try QueueConsumer(
        options: try connection.options(tool: "amqp-consume"), settings: settings, mode: mode, output: RecordWriter(),
        diagnostics: diagnostics, healthFile: try healthFile.map { try HealthFile(path: $0, diagnostics: diagnostics) },
        telemetry: telemetry)
      try consumer.run()
    }
  }
}
