import ArgumentParser
import CliplineAMQP
import CliplineAMQPFlags
import CliplineCLI
import CliplineChunking
import CliplineRecords
import CliplineSystem
import CliplineTelemetry
import Foundation

struct M0Submit: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "m0-submit",
    abstract: "Check M0 requests the way chunk reads them and queue the good ones on M0_PRIORITY_QUEUE.",
    discussion: """
      What the M0 service's POST /api/v1/process_video does, from a shell: reads M0 requests, one JSON object \
      a line, checks each one, publishes the valid ones (persistent, with publisher confirms) and, once the \
      broker has confirmed a request, writes its answer: {"process_id":...,"status":"QUEUED","message":"..."}.

      A request is valid when chunk can cut it and the M0 worker can name its uploads: process_id (a number or \
      a string); cloud_stream_path (the source video: s3://, az://, file:///, http(s):// or an absolute path); \
      destination_prefix (a relative key prefix ending in "/", no "..", no scheme); cache_container_name (a \
      bucket or container name); inference_modality "batch" or "live" (live needs live_start_time, RFC 3339); \
      video_preprocessing.chunk_duration and .fps greater than 0, .width and .height positive and even. Every \
      other field (inference_config, ...) is queued as it came.

      A request that is not valid is one sentence on stderr naming its line and field, and nothing is published \
      for it; the other requests go on, and the exit code is 65.

      CHECK: --check (or --dry-run) checks each request as above, says on stderr where its message would go \
      (routing key, bytes, message id), one line per request, and writes {"process_id":...,"status":"VALID", \
      "dry_run":true,...}; it connects to no broker and publishes nothing (with --declare, it says which queues it \
      would declare). Invalid requests fail as above (65).

      ENVIRONMENT: AMQP_URL (the broker, when --url is not given).

      EXAMPLES:
        m0-submit < requests.jsonl
        m0-submit --queue M0_PRIORITY_QUEUE --declare --dlq M0_DEADLETTER_QUEUE \\
          < requests.jsonl

      \(ExitStatus.documentation) 65: a request is not valid (nothing was published for it); 69: the broker \
      is unreachable or the queue does not exist; 75: the broker nacked a request, or a signal stopped the run.
      """,
    version: "m0-submit " + cliplineVersion)

  @OptionGroup var connection: ConnectionFlags
  @OptionGroup var topology: TopologyFlags

  @Option(help: "The queue M0 workers consume.")
  var queue = "M0_PRIORITY_QUEUE"

  @Flag(
    name: [.customLong("check"), .customLong("dry-run")],
    help: "Check the requests and say where each would be queued; connect to no broker, publish nothing.")
  var check = false

  @OptionGroup var metrics: MetricsFileOption

  @OptionGroup var common: CommonOptions

  func run() throws {
    let diagnostics = common.diagnostics(tool: "m0-submit")
    try runTool(diagnostics, metricsFile: metrics.textfile) {
      if check {
        if let notice = topology.wouldDeclare(queue: queue) { diagnostics.info(notice) }
        try publishing(diagnostics).dryRun(reader: RecordReader(), tee: RecordWriter())
        return
      }
      let options = try connection.options(tool: "m0-submit")
      let topology = self.topology.topology(queue: queue)
      let declare = self.topology.declare
      let publisher = ConfirmingPublisher<PublishedRecord>(diagnostics: diagnostics) {
        let opened = try AMQPConnection(options)
        if declare { try topology.declare(on: opened) }
        return opened
      }
      let reader = RecordReader(lines: .standardInputEndingOnShutdown { try publisher.awaitConfirms(timeout: 0.02) })
      let publishing = try publishing(diagnostics)
      defer { ToolMetrics.recordsWritten(publisher.confirmedCount, tool: diagnostics.tool) }
      try publishing.run(reader: reader, publisher: publisher, tee: RecordWriter())
    }
  }
}

extension M0Submit {
  /// Requests checked as the M0 worker reads them, published as persistent messages on `queue`.
  func publishing(_ diagnostics: Diagnostics) throws -> RecordPublishing {
    let queue = self.queue
    let check = self.check
    var publishing = RecordPublishing(
      shape: MessageShape(routingKey: try RecordTemplate(queue.replacingBraces()), messageIDField: nil),
      diagnostics: diagnostics, check: { try M0Request.validate($0, naming: BlobStoreNaming()) },
      confirmation: { M0Submission.answer(for: $0, queue: queue, checkedOnly: check) })
    publishing.spanPerRecord = "m0-submit request"
    return publishing
  }
}

/// The answer POST /api/v1/process_video gives for a queued request.
enum M0Submission {
  /// `checkedOnly` (--check): the request is valid and would be queued, but was not.
  static func answer(for request: Record, queue: String, checkedOnly: Bool = false) -> Record {
    Record([
      "process_id": request["process_id"] ?? .null, "status": checkedOnly ? "VALID" : "QUEUED",
      "message": .string("video processing request \(checkedOnly ? "would be " : "")queued on \(queue)"),
    ])
  }
}

extension String {
  /// A fixed queue name as a template: braces are literal.
  fileprivate func replacingBraces() -> String {
    replacingOccurrences(of: "{", with: "{{").replacingOccurrences(of: "}", with: "}}")
  }
}
