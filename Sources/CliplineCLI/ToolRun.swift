import ArgumentParser
import CliplineRecords
import CliplineSystem

/// Runs a tool's work: failures are reported once on stderr and become the shared exit code;
/// a closed stdout ends the tool quietly.
///
/// Every tool starts the same way here: descriptors 0–2 opened on /dev/null if they were closed, SIGPIPE ignored,
/// SIGTERM/SIGINT/SIGHUP heard (`ShutdownSignal`) and SIGUSR1/SIGUSR2/SIGALRM ignored.
public func runTool(_ diagnostics: Diagnostics, _ body: () throws -> Void) throws {
  StandardDescriptors.ensureOpen()
  ignoreBrokenPipeSignal()
  do {
    try ShutdownSignal.shared.listen()
    try body()
  } catch is OutputClosed {
    return
  } catch let failures as RecordsFailed {
    if failures.total > 1 { diagnostics.error(failures.description) }
    throw ExitCode(failures.exitStatus.rawValue)
  } catch {
    diagnostics.report(error)
    throw ExitCode(ExitStatus.of(error).rawValue)
  }
}
