import ArgumentParser
import CliplineAMQP
import CliplineAMQPFlags
import CliplineCLI
import CliplineRecords
import CliplineSystem
import CliplineTelemetry
import Foundation

struct AMQPDLQ: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "amqp-dlq",
    abstract: "Look at a queue without consuming it, list dead letters, and put chosen ones back on their queue.",
    discussion: """
      list reads every message of a queue (a dead-letter queue, or any other) and gives them all back: a table \
      on a terminal (position, message id, queue, exit code, attempts, failed at, error), one JSON object a \
      line when piped (position, message_id, queue, exit_code, attempts, failed_time, error, redelivered, \
      headers, body_bytes, body). Nothing is consumed: each message is read with basic.get and held unacked \
      until the end, then all are requeued at once, in their places; meanwhile other consumers do not see \
      them. Afterwards they carry redelivered=true, and on a quorum queue each look counts towards its \
      x-delivery-limit. Messages published during the look are not read.

      replay puts the chosen dead letters (--position, --message-id, --where NAME=VALUE on a header or a body \
      field, or --all) back on the queue named in their x-clipline-queue header (or --to), with the \
      x-clipline-* headers taken off, so amqp-consume counts attempts from 1 again. Each copy is published \
      with a publisher confirm and the dead letter acked only once the broker confirmed it: interrupted \
      anywhere (SIGTERM, kill -9, a lost connection), a message is at worst on both queues, never lost. The \
      others stay where they were, in order. replay --dry-run reads the same messages and checks the same target \
      queues, says per chosen dead letter "dry run: would replay ... to QUEUE" on stderr, and gives every message \
      back: nothing is published or acked.

      ENVIRONMENT: AMQP_URL (the broker, when --url is not given).

      EXAMPLES:
        amqp-dlq list -q M0_DEADLETTER_QUEUE
        amqp-dlq list -q M0_DEADLETTER_QUEUE \\
          | jq -r 'select(.exit_code == 3) | .message_id'
        amqp-dlq replay -q M0_DEADLETTER_QUEUE --where x-clipline-exit-code=3
        amqp-dlq replay -q M0_DEADLETTER_QUEUE --position 1 --position 4 \\
          --to M0_PRIORITY_QUEUE

      \(ExitStatus.documentation) 65: a dead letter to replay does not say its queue (pass --to); 69: the \
      broker is unreachable, or a copy was unroutable; 75: a copy was nacked, or a signal stopped the replay; \
      77: access refused; 78: a queue does not exist.
      """,
    version: "amqp-dlq " + cliplineVersion,
    subcommands: [List.self, Replay.self])
}

/// The flags both subcommands take: the broker, the queue, how many to read.
struct QueueSelection: ParsableArguments {
  @OptionGroup var connection: ConnectionFlags

  @Option(name: .shortAndLong, help: "The queue to read (for replay: the dead-letter queue).")
  var queue: String

  @Option(name: .shortAndLong, help: "Read at most this many messages from the head of the queue.")
  var count: Int?

  @OptionGroup var metrics: MetricsFileOption

  @OptionGroup var common: CommonOptionsWithoutDashQ

  func validate() throws {
    if let count, count < 1 { throw ValidationError("--count must be at least 1.") }
  }

  /// Runs `body` on a fresh connection, SIGTERM/SIGINT noted rather than fatal, errors mapped to exit codes.
  func withConnection(_ body: (AMQPConnection, Diagnostics) throws -> Void) throws {
    let diagnostics = common.diagnostics(tool: "amqp-dlq")
    try runTool(diagnostics, metricsFile: metrics.textfile) {
      let opened = try AMQPConnection(try connection.options(tool: "amqp-dlq"))
      defer { opened.close() }
      try body(opened, diagnostics)
    }
  }
}

extension AMQPDLQ {
  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show a queue's messages (a table on a terminal, JSON lines when piped); all stay on the queue.")

    @OptionGroup var selection: QueueSelection

    @Flag(name: .long, help: "JSON lines even on a terminal.")
    var json = false

    func run() throws {
      try selection.withConnection { connection, _ in
        let browser = QueueBrowser(connection: connection, queue: selection.queue)
        var letters: [DeadLetter] = []
        let writer = RecordWriter()
        let asTable = !json && isatty(STDOUT_FILENO) == 1
        var read = 0
        try browser.read(limit: selection.count) { letter in
          read += 1
          if asTable { letters.append(letter) } else { try writer.write(letter.record) }
          return false
        }
        try browser.giveBack()
        ToolMetrics.recordsWritten(read, tool: "amqp-dlq")
        if asTable { print(DeadLetterTable(width: DeadLetterTable.terminalWidth()).render(letters), terminator: "") }
      }
    }
  }

  struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Put chosen dead letters back on their queue, retry count reset; confirmed before each is removed.")

    @OptionGroup var selection: QueueSelection

    @Option(name: .long, help: "Replay the message at this position (1: the head of the queue); repeat for more.")
    var position: [Int] = []

    @Option(name: .long, help: "Replay the message with this message id; repeat for more.")
    var messageId: [String] = []

    @Option(
      name: .customLong("where"),
      help: ArgumentHelp(
        "Replay messages whose header or top-level body field NAME has this value; repeat: all must hold.",
        valueName: "name=value"))
    var matches: [String] = []

    @Flag(name: .long, help: "Replay every message read.")
    var all = false

    @Option(name: .long, help: "Put them on this queue instead of the one in their x-clipline-queue header.")
    var to: String?

    @Flag(help: "Say which dead letters would be replayed where; publish and remove nothing.")
    var dryRun = false

    func validate() throws {
      if try choice().isEmpty {
        throw ValidationError("Say which to replay: --position N, --message-id ID, --where NAME=VALUE or --all.")
      }
    }

    func choice() throws -> DeadLetterSelection {
      var choice = DeadLetterSelection()
      choice.positions = Set(position)
      choice.messageIDs = Set(messageId)
      choice.all = all
      choice.matches = try matches.map { pair in
        guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
          throw ValidationError("--where \"\(pair)\" is not NAME=VALUE.")
        }
        return (String(pair[..<equals]), String(pair[pair.index(after: equals)...]))
      }
      return choice
    }

    func run() throws {
      try selection.withConnection { connection, diagnostics in
        let replay = DeadLetterReplay(
          connection: connection, deadLetterQueue: selection.queue, selection: try choice(), target: to,
          diagnostics: diagnostics)
        replay.dryRun = dryRun
        try replay.run(limit: selection.count)
        if dryRun {
          diagnostics.info("dry run: would replay \(replay.replayed) dead letters; all stay on \(selection.queue)")
          return
        }
        ToolMetrics.recordsWritten(replay.replayed, tool: "amqp-dlq")
        diagnostics.info("replayed \(replay.replayed) dead letters; \(replay.kept) stay on \(selection.queue)")
        if ShutdownSignal.shared.isRequested { throw ReplayStopped(replayed: replay.replayed) }
      }
    }
  }
}

/// SIGTERM/SIGINT stopped a replay between two messages.
struct ReplayStopped: Error, CustomStringConvertible, ExitStatusProviding {
  let replayed: Int
  var description: String { "stopped by a signal after \(replayed) replayed; the rest stay on the dead-letter queue" }
  var exitStatus: ExitStatus { .temporaryFailure }
}
