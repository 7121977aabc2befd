import ArgumentParser
import CliplineRecords
import CliplineSystem
import CliplineTelemetry
import Foundation

/// The span a run records: the tool's name and kind internal unless a tool says better (amqp-pub: a producer's
/// `QUEUE publish`).
public struct RunSpan {
  public var name: String
  public var kind: SpanRecord.Kind
  public var attributes: [String: JSONValue]

  public init(name: String, kind: SpanRecord.Kind, attributes: [String: JSONValue] = [:]) {
    self.name = name
    self.kind = kind
    self.attributes = attributes
  }
}

/// Runs a tool's work: failures are reported once on stderr and become the shared exit code;
/// a closed stdout ends the tool quietly, with 141 (records went unwritten). The run is one span (`ToolTrace`)
/// unless `traced` is false (a long-running consumer records a span per message instead). Inside an amqp-consume
/// handler the run's counts and stage timings (`ToolMetrics`) go to the consumer as it ends; with `metricsFile` (a
/// cron tool's `--metrics-file`) they are written there, with the run's end, duration and exit code.
///
/// Every tool starts the same way here: descriptors 0–2 opened on /dev/null if they were closed, SIGPIPE ignored,
/// SIGTERM/SIGINT/SIGHUP heard (`ShutdownSignal`) and SIGUSR1/SIGUSR2/SIGALRM ignored; stopped by SIGINT, it dies
/// by SIGINT as it exits (`InterruptExit`); a crash for want of descriptors or memory is turned into its sentence
/// and 75 (`ShortageCrashGuard`).
public func runTool(
  _ diagnostics: Diagnostics, span: RunSpan? = nil, traced: Bool = true, metricsFile: MetricsTextfile? = nil,
  _ body: () throws -> Void
) throws {
  StandardDescriptors.ensureOpen()
  ignoreBrokenPipeSignal()
  InterruptExit.register()
  let shortage = { (kind: ResourceShortage) in
    diagnostics.line(.error, kind.description, fields: ["exit_code": .integer(Int64(kind.exitStatus.rawValue))])
  }
  ShortageCrashGuard.install(descriptorsLine: shortage(.descriptors), memoryLine: shortage(.memory(bytes: nil)))
  if let problem = Tracing.shared.problem { diagnostics.warning(problem) }
  let started = Date()
  var exitCode: Int32 = 0
  var failure: String?
  defer {
    ToolMetrics.report()
    if traced {
      let span = span ?? RunSpan(name: diagnostics.tool, kind: .internal)
      ToolTrace.finish(
        name: span.name, kind: span.kind, attributes: span.attributes, exitCode: exitCode, failure: failure)
    }
  }
  do {
    try ShutdownSignal.shared.listen()
    try body()
  } catch is OutputClosed {
    exitCode = ExitStatus.outputClosed.rawValue
  } catch let failures as RecordsFailed {
    if failures.total > 1 { diagnostics.error(failures.description) }
    (exitCode, failure) = (failures.exitStatus.rawValue, failures.description)
  } catch {
    diagnostics.report(error)
    (exitCode, failure) = (ExitStatus.of(error).rawValue, SecretRedaction.text(describe(error)))
  }
  if let metricsFile {
    do {
      try metricsFile.write(
        RunTextfile.registry(tool: diagnostics.tool, version: cliplineVersion, started: started, exitCode: exitCode))
    } catch {
      // A cron job's file is how it is watched: a run that cannot leave it has failed, whatever it did.
      diagnostics.report(error)
      if exitCode == 0 { (exitCode, failure) = (ExitStatus.of(error).rawValue, describe(error)) }
    }
  }
  if exitCode != 0 { throw ExitCode(exitCode) }
}
