import CliplineRecords
import CliplineSystem
import CliplineTelemetry
import Foundation

/// One message through the handler command, on its own thread: a private work directory, the process, the
/// decision its exit code makes, the failure hook for a message about to be dead-lettered, and the clean-up.
/// It touches no connection; `QueueConsumer` settles the outcome on the connection's thread.
struct HandlerJob: Sendable {
  struct Outcome {
    let decision: HandlingDecision
    let exitCode: Int32
    /// What goes into x-clipline-error: the stderr tail, or why the handler did not finish.
    let errorText: String
  }

  let delivery: Delivery
  let command: [String]
  let queue: String
  let timeout: Double?
  /// The timeout is the consumer_timeout guard rather than --timeout (the error says so).
  let stoppedForConsumerTimeout: Bool
  let policy: FailurePolicy
  let onFailure: String?
  let diagnostics: Diagnostics
  let workDirectories: WorkDirectoryLedger
  /// Where the handler's tools' counts and stage timings go (nil: no metrics kept).
  let telemetry: ConsumerTelemetry?
  /// Where the handler's stderr is relayed from, while this job's thread waits for the handler.
  let relays: ThreadPool
  let process = HandlerProcess()
  let started = Date()

  func run() -> Outcome {
    let attempt = FailurePolicy.attempt(of: delivery.properties.headers)
    var environment = Self.environment(for: delivery, queue: queue, attempt: attempt)
    // One log stream: the handler's tools write in the consumer's format, whatever their flags default to.
    environment[Diagnostics.formatVariable] = diagnostics.format.rawValue
    // One trace: the handler's tools continue the consumer's span for this message.
    if let trace = delivery.trace { environment.merge(trace.context.environment) { _, ours in ours } }
    var workDirectory: WorkDirectoryLedger.Entry?
    // Removed whatever happened, so a failed or killed handler leaves nothing behind (and if we are killed,
    // the next consumer sweeps it).
    defer { if let workDirectory { workDirectories.remove(workDirectory) } }
    let outcome: Outcome
    do {
      let directory = try workDirectories.make()
      workDirectory = directory
      var handlerEnvironment = environment
      handlerEnvironment[WorkDirectory.environmentVariable] = directory.path
      let report = Tracing.shared.isRecording || telemetry != nil ? try HandlerReport() : nil
      let result = try process.run(
        arguments: command, environment: handlerEnvironment, stdin: delivery.body, timeout: timeout,
        stderr: stderrRelay(source: command[0]), relays: relays, report: report)
      if let report { take(report) }
      var errorText = result.stderrTail.trimmingCharacters(in: .whitespacesAndNewlines)
      if result.timedOut {
        let limit = DurationArgument.format(timeout ?? 0)
        errorText =
          (stoppedForConsumerTimeout
            ? "stopped after \(limit), before the broker's consumer_timeout would close the channel"
            : "timed out after \(limit)") + (errorText.isEmpty ? "" : "; stderr: \(errorText)")
      } else if errorText.isEmpty && result.exitCode != 0 {
        errorText = result.signal.map { "killed by signal \($0)" } ?? "exit code \(result.exitCode)"
      }
      outcome = Outcome(
        decision: policy.decide(
          exitCode: result.exitCode, timedOut: result.timedOut, stoppedByUs: result.stoppedByUs, attempt: attempt),
        exitCode: result.exitCode, errorText: errorText)
    } catch let failure where Self.isOurShortage(failure) {
      outcome = Outcome(
        decision: .postpone, exitCode: ExitStatus.temporaryFailure.rawValue, errorText: describe(failure))
    } catch {
      // The command could not start (or no work directory): like a shell's 127, a failure to dead-letter.
      outcome = Outcome(
        decision: policy.decide(exitCode: 127, timedOut: false, stoppedByUs: false, attempt: attempt), exitCode: 127,
        errorText: describe(error))
    }
    if case .deadLetter = outcome.decision, let onFailure {
      runFailureHook(onFailure, environment: environment, outcome: outcome)
    }
    return outcome
  }

  /// The spans the handler's tools wrote go to the exporter, their figures into the consumer's metrics.
  private func take(_ report: HandlerReport) {
    let (spans, metrics) = report.read()
    if Tracing.shared.isRecording { for span in spans { Tracing.shared.record(span) } }
    if let telemetry { for reported in metrics { telemetry.merge(reported) } }
  }

  /// A failure to start that is ours, not the message's: out of descriptors, memory or processes.
  static func isOurShortage(_ error: Error) -> Bool {
    if let start = error as? HandlerStartFailure { return start.isOurShortage }
    return ResourceShortage.behind(error) != nil
  }

  /// What a handler learns about its message, besides the body on stdin.
  static func environment(for delivery: Delivery, queue: String, attempt: Int) -> [String: String] {
    var environment = ProcessInfo.processInfo.environment
    environment["AMQP_QUEUE"] = queue
    environment["AMQP_EXCHANGE"] = delivery.exchange
    environment["AMQP_ROUTING_KEY"] = delivery.routingKey
    environment["AMQP_MESSAGE_ID"] = delivery.properties.messageID ?? ""
    environment["AMQP_REDELIVERED"] = delivery.redelivered ? "true" : "false"
    environment["AMQP_HEADERS"] = JSONSerializer.string(.object(delivery.properties.headers))
    environment["AMQP_ATTEMPT"] = String(attempt)
    return environment
  }

  /// The handler's stderr on ours, in our format; in JSON each line names the message it belongs to.
  func stderrRelay(source: String) -> HandlerStderrRelay {
    var context: [String: JSONValue] = delivery.trace?.logFields ?? [:]
    context["queue"] = .string(queue)
    if let id = delivery.properties.messageID { context["message_id"] = .string(id) }
    return HandlerStderrRelay(
      write: diagnostics.emit, format: diagnostics.format, context: context,
      source: (source as NSString).lastPathComponent)
  }

  /// `--on-failure`: a shell command (so a pipeline fits in one flag), the body on stdin, the error in its environment.
  private func runFailureHook(_ command: String, environment: [String: String], outcome: Outcome) {
    var hookEnvironment = environment
    hookEnvironment["AMQP_EXIT_CODE"] = String(outcome.exitCode)
    hookEnvironment["AMQP_ERROR"] = SecretRedaction.text(outcome.errorText)
    let name = ConsumerReport.name(of: delivery)
    do {
      let result = try HandlerProcess().run(
        arguments: ["/bin/sh", "-c", command], environment: hookEnvironment, stdin: delivery.body, timeout: 300,
        stderr: stderrRelay(source: "on-failure"), relays: relays)
      if result.exitCode != 0 { diagnostics.warning("message \(name): --on-failure exited \(result.exitCode)") }
    } catch {
      diagnostics.warning("message \(name): --on-failure could not run: \(describe(error))")
    }
  }
}
