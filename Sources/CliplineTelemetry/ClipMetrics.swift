import Foundation

/// Every metric family clipline exposes, declared once: Prometheus' conventions (base units, `_total` counters,
/// `_seconds` durations), and bounded labels only: queues, outcomes, exit codes, stages, destination kinds,
/// operations. Never a process, message or chunk id; a camera only where docs/observability.md says so.
public enum ClipMetrics {
  /// Handler and stage durations: a tenth of a second to half an hour.
  public static let jobBuckets: [Double] = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800]

  // MARK: amqp-consume

  public static let messagesReceived = MetricDescriptor(
    "clipline_messages_received_total", .counter, help: "Messages taken from the queue.", labels: ["queue"])
  public static let messagesAcked = MetricDescriptor(
    "clipline_messages_acked_total", .counter, help: "Messages acked after their handler exited 0 (or printed).",
    labels: ["queue"])
  public static let messagesRetried = MetricDescriptor(
    "clipline_messages_retried_total", .counter, help: "Messages sent to the retry queue (exit 75 or 69, timeouts).",
    labels: ["queue"])
  public static let messagesDeadLettered = MetricDescriptor(
    "clipline_messages_dead_lettered_total", .counter, help: "Messages whose copy the dead-letter queue confirmed.",
    labels: ["queue"])
  public static let messagesRequeued = MetricDescriptor(
    "clipline_messages_requeued_total", .counter,
    help: "Messages given back to the broker unhandled (shutdown, beyond --count, a refused dead-letter copy).",
    labels: ["queue"])
  public static let handlerDuration = MetricDescriptor(
    "clipline_handler_duration_seconds", .histogram, help: "Handler run time, by outcome and exit code.",
    labels: ["queue", "outcome", "exit_code"], buckets: jobBuckets)
  public static let handlersRunning = MetricDescriptor(
    "clipline_handlers_running", .gauge, help: "Handlers running now.", labels: ["queue"])
  public static let oldestHandler = MetricDescriptor(
    "clipline_handler_oldest_running_seconds", .gauge, help: "How long the longest-running handler has run (0: none).",
    labels: ["queue"])
  public static let handlerTimeout = MetricDescriptor(
    "clipline_handler_timeout_seconds", .gauge,
    help: "The time a handler gets before it is stopped (--timeout, or the consumer_timeout guard; 0: none).",
    labels: ["queue"])
  public static let reconnects = MetricDescriptor(
    "clipline_broker_reconnects_total", .counter, help: "Connections to the broker re-established after a loss.",
    labels: ["queue"])
  public static let connected = MetricDescriptor(
    "clipline_broker_connected", .gauge, help: "1 while consuming on a live connection, else 0.", labels: ["queue"])
  public static let queueMessages = MetricDescriptor(
    "clipline_queue_messages", .gauge, help: "Ready messages in the queue, as last seen by the consumer.",
    labels: ["queue"])
  public static let deadLetterMessages = MetricDescriptor(
    "clipline_dead_letter_queue_messages", .gauge,
    help: "Messages in the dead-letter queue, as last seen by the consumer.", labels: ["queue", "dead_letter_queue"])
  public static let lastAck = MetricDescriptor(
    "clipline_last_ack_timestamp_seconds", .gauge,
    help: "When a message was last acked (Unix time; the consumer's start until the first).", labels: ["queue"])

  // MARK: kvs-follow, per stream (one series each per camera followed: documented in docs/observability.md)

  public static let followBehindLive = MetricDescriptor(
    "clipline_follow_behind_live_seconds", .gauge,
    help: "How far the last window written is behind live (KVS's MillisBehindNow, or now minus its end).",
    labels: ["stream"])
  public static let followWindows = MetricDescriptor(
    "clipline_follow_windows_total", .counter, help: "Windows written (their record on stdout).", labels: ["stream"])
  public static let followGaps = MetricDescriptor(
    "clipline_follow_gaps_total", .counter, help: "Holes in a stream's media between two windows.",
    labels: ["stream"])
  public static let followReconnects = MetricDescriptor(
    "clipline_follow_reconnects_total", .counter, help: "GetMedia sessions opened again after one ended or failed.",
    labels: ["stream"])

  /// Every family above, for the checks that examples and dashboards name only metrics that exist.
  public static let all: [MetricDescriptor] =
    [
      messagesReceived, messagesAcked, messagesRetried, messagesDeadLettered, messagesRequeued, handlerDuration,
      handlersRunning, oldestHandler, handlerTimeout, reconnects, connected, queueMessages, deadLetterMessages,
      lastAck, followBehindLive, followWindows, followGaps, followReconnects, buildInfo, startTime, spansDropped,
    ] + reported + RunTextfile.families

  // MARK: Every tool

  public static let spansDropped = MetricDescriptor(
    "clipline_spans_dropped_total", .counter,
    help: "Spans not exported: the collector was down, slow or refused them, or the queue was full.")

  public static let buildInfo = MetricDescriptor(
    "clipline_build_info", .gauge, help: "Always 1; the labels say which clipline and which tool.",
    labels: ["version", "tool"])
  public static let startTime = MetricDescriptor(
    "process_start_time_seconds", .gauge, help: "When this process started (Unix time).")
}

extension MetricRegistry {
  /// The two series every clipline process shows: which build and tool it is, and when it started.
  public func describeProcess(tool: String, version: String, started: Date = Date()) {
    set(ClipMetrics.buildInfo, 1, labels: [version, tool])
    set(ClipMetrics.startTime, started.timeIntervalSince1970.rounded())
  }
}
