import ArgumentParser
import CliplineAMQP
import CliplineAMQPFlags
import CliplineCLI
import CliplineRecords
import CliplineSystem
import CliplineTelemetry

struct AMQPPub: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "amqp-pub",
    abstract: "Publish each input record to RabbitMQ as a persistent JSON message, with publisher confirms.",
    discussion: """
      Reads JSON records, one a line, and publishes each as its own message: the record's JSON as the body, \
      persistent (delivery mode 2), content_type application/json, a message id (a UUID, or --message-id-field), \
      the current timestamp, and headers from --header and --header-field. Every message carries a W3C \
      traceparent header (and tracestate): this run's span, a child of $TRACEPARENT when it is set (amqp-consume \
      sets it for its handlers), or the record's own when it has a traceparent field (kvs-discover's tasks and \
      kvs-follow's windows, with tracing on), so whoever consumes the message continues the same trace. Every \
      message is \
      mandatory: one that no queue takes is returned by the broker and reported, never dropped.

      It connects (and declares, with --declare) when it starts, before the first record arrives, so at the end \
      of a pipe the handshake overlaps the work of the stages before it. Publishing is pipelined (up to --window messages await confirmation at once) and the tool exits 0 only \
      after the broker confirmed every message. A line that is not a JSON object, a missing field, an \
      unroutable or nacked message is reported with its line number; the other records go on and the exit code \
      is the first failure's. If the connection drops, amqp-pub reconnects with backoff for up to \
      --reconnect-for and publishes every unconfirmed message again (at-least-once: a message may arrive twice); \
      if the broker stays away it exits 69 saying how many messages were confirmed. SIGTERM, SIGINT or SIGHUP \
      stops reading, waits a few seconds for the confirms of what was sent, and exits 75 saying how many were \
      confirmed. While the broker blocks publishing (a memory or disk alarm: connection.blocked) amqp-pub sends \
      nothing more and says so; SIGTERM then exits 75 at once, and --timeout bounds any wait on the broker. A \
      routing key, exchange name or message id of more than 255 bytes (AMQP's limit) refuses its record (65).

      RECORD FIELDS: reads the fields named in --queue/--routing-key/--exchange/--header templates, \
      --header-field and --message-id-field; the whole record is the body. With --tee, writes each record \
      unchanged to stdout once the broker confirmed it.

      DRY RUN: --dry-run makes each message as above (a bad record fails the same way) and says on stderr, one \
      line per record, the exchange, routing key, size, persistence, message id and header names it would have; \
      with --tee each record goes to stdout marked "dry_run": true. It connects to no broker; nothing is published \
      and, with --declare, nothing declared: it says which queues it would declare.

      AMQP-TOOLS: amqp-publish's spellings mean the same here: -u/--url, -e/--exchange, -r/--routing-key, \
      -C/--content-type, -E/--content-encoding, -t/--reply-to, -H/--header 'key: value', -b/--body, and \
      -p/--persistent and -l/--line-buffered, which amqp-pub always does (so they change nothing). The \
      difference: amqp-pub publishes one JSON record per line, where amqp-publish without -l sends all of stdin \
      as one message. -q/--queue is amqp-consume's spelling. Not taken: -s/--server, --port, --vhost, \
      --username, --password, --authfile, --ssl (say them in --url).

      ENVIRONMENT: AMQP_URL (the broker, when --url is not given).

      EXAMPLES:
        kvs-discover --window 60s \\
          | amqp-pub --queue S2_PROCESSING_QUEUE --declare --dlq S2_PROCESSING_DLQ
        chunk < req.json | amqp-pub --queue M0_RESULTS_QUEUE \\
          --header-field process_id --tee > published.jsonl
        amqp-pub --exchange events --routing-key 'camera.{camera_id}' \\
          --header source=s2 < tasks.jsonl

      \(ExitStatus.documentation) 65: a line is not JSON or lacks a field; 69: the broker is unreachable, \
      a message was unroutable, or the broker went away for longer than --reconnect-for; 75: a message was \
      nacked, the broker kept it waiting past --timeout, or a signal stopped it.
      """,
    version: "amqp-pub " + cliplineVersion)

  @OptionGroup var connection: ConnectionFlags
  @OptionGroup var topology: TopologyFlags

  @Option(name: .shortAndLong, help: "Publish to this queue through the default exchange ({field} templates allowed).")
  var queue: String?

  @Option(name: .shortAndLong, help: "Publish to this exchange ({field} templates allowed) with --routing-key.")
  var exchange: String?

  @Option(
    name: .shortAndLong,
    help: "The routing key for --exchange ({field} templates allowed); alone, the default exchange (a queue name).")
  var routingKey: String?

  @Option(
    name: [.customShort("H"), .customLong("header")],
    help: ArgumentHelp(
      "A string header NAME=TEMPLATE (or 'NAME: TEMPLATE'), e.g. camera={camera_id}; repeat for more.",
      valueName: "name=template"))
  var headers: [String] = []

  @Option(
    name: .customLong("header-field"),
    help: ArgumentHelp(
      "Copy this record field into a header of the same name, keeping its JSON type and value (a fraction as "
        + "an AMQP decimal); repeat for more.",
      valueName: "field"))
  var headerFields: [String] = []

  @Option(name: .long, help: "Use this record field as the message id (default: a fresh UUID per message).")
  var messageIdField: String?

  @Option(name: [.customShort("C"), .long], help: "The content_type property (default: application/json).")
  var contentType: String?

  @Option(name: [.customShort("E"), .long], help: "The content_encoding property.")
  var contentEncoding: String?

  @Option(name: [.customShort("t"), .long], help: "The reply_to property.")
  var replyTo: String?

  @Option(name: .shortAndLong, help: "Publish this one record instead of reading stdin.")
  var body: String?

  // amqp-publish's -p (persistent) and -l (a message per line): what amqp-pub always does.
  @Flag(name: [.customShort("p"), .customLong("persistent")], help: .hidden) var persistent = false
  @Flag(name: [.customShort("l"), .customLong("line-buffered")], help: .hidden) var lineBuffered = false

  @Flag(name: .long, help: "Write each record to stdout once the broker confirmed it.")
  var tee = false

  @Flag(help: "Say where each message would go (and with --tee mark records \"dry_run\": true); publish nothing.")
  var dryRun = false

  @Option(name: .long, help: "How many messages may await confirmation at once.")
  var window = 1024

  @Option(name: .long, help: "How long to keep reconnecting when the broker goes away (0: give up at once).")
  var reconnectFor = DurationArgument(seconds: 60)

  @Option(
    name: .long,
    help: "Give up (75) when the broker keeps us waiting this long: blocked by an alarm, or not confirming.")
  var timeout: DurationArgument?

  @OptionGroup var common: CommonOptionsWithoutDashQ

  func validate() throws {
    switch (queue, exchange) {
    case (nil, nil) where routingKey == nil:
      throw ValidationError("Say where to publish: --queue NAME, or --exchange NAME --routing-key KEY.")
    case (.some, .some): throw ValidationError("--queue and --exchange exclude each other; pass one of them.")
    case (nil, .some) where routingKey == nil: throw ValidationError("--exchange needs --routing-key.")
    case (.some, _) where routingKey != nil:
      throw ValidationError("--routing-key goes with --exchange; with --queue the queue name is the routing key.")
    default: break
    }
    if topology.declare, queue == nil || queue!.contains("{") {
      throw ValidationError("--declare needs a fixed --queue name (no {field} template).")
    }
    try check(window, "--window", within: 1...65535)
    try reconnectFor.check("--reconnect-for", within: 0...(7 * 86400))
    try timeout?.check("--timeout", within: 0.001...(7 * 86400))
    _ = try shape()
  }

  func shape() throws -> MessageShape {
    do {
      let headerTemplates = try headers.map { pair -> (String, RecordTemplate) in
        // amqp-publish and curl spell it "Name: value"; NAME=VALUE is read too. The first separator decides.
        guard let separator = pair.firstIndex(where: { $0 == "=" || $0 == ":" }), separator != pair.startIndex else {
          throw ValidationError("--header \"\(pair)\" is not NAME=VALUE or \"NAME: VALUE\".")
        }
        var value = pair[pair.index(after: separator)...]
        if pair[separator] == ":" { value = value.drop { $0 == " " } }
        return (String(pair[..<separator]), try RecordTemplate(String(value)))
      }
      return MessageShape(
        exchange: try exchange.map(RecordTemplate.init), routingKey: try RecordTemplate(queue ?? routingKey!),
        headerTemplates: headerTemplates, headerFields: headerFields, messageIDField: messageIdField,
        contentType: contentType ?? "application/json", contentEncoding: contentEncoding, replyTo: replyTo)
    } catch let error as RecordTemplate.SyntaxError {
      throw ValidationError(error.description)
    }
  }

  func run() throws {
    let diagnostics = common.diagnostics(tool: "amqp-pub")
    let destination = queue ?? routingKey ?? ""
    let span = RunSpan(
      name: "\(destination) publish", kind: .producer,
      attributes: [
        "messaging.system": "rabbitmq", "messaging.operation.type": "publish",
        "messaging.destination.name": .string(destination),
      ])
    try runTool(diagnostics, span: span) {
      if dryRun {
        if let notice = topology.wouldDeclare(queue: queue) { diagnostics.info(notice) }
        try RecordPublishing(shape: try shape(), diagnostics: diagnostics)
          .dryRun(reader: body.map { RecordReader(text: $0) } ?? RecordReader(), tee: tee ? RecordWriter() : nil)
        return
      }
      let options = try connection.options(tool: "amqp-pub")
      let topology = queue.map { self.topology.topology(queue: $0) }
      let declare = self.topology.declare
      let publisher = ConfirmingPublisher<PublishedRecord>(
        window: window, reconnectFor: reconnectFor.seconds, waitLimit: timeout?.seconds, diagnostics: diagnostics
      ) {
        let opened = try AMQPConnection(options)
        if declare, let topology { try topology.declare(on: opened) }
        return opened
      }
      // SIGTERM (runTool listens): stop reading, wait for the confirms of what was sent, then exit 75 saying how far it got.
      try publisher.connect()
      let reader =
        body.map { RecordReader(text: $0) }
        ?? RecordReader(lines: .standardInputEndingOnShutdown { try publisher.awaitConfirms(timeout: 0.02) })
      var shape = try shape()
      // This run's span: a child of the handler's (TRACEPARENT), so the consumer of each message continues the trace.
      shape.trace = ToolTrace.place.context
      try RecordPublishing(shape: shape, diagnostics: diagnostics)
        .run(reader: reader, publisher: publisher, tee: tee ? RecordWriter() : nil)
    }
  }
}
