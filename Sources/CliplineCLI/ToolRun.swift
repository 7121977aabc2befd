import ArgumentParser
import CliplineRecords
import CliplineSystem

/// Runs a tool's work: failures are reported once on stderr and become the shared exit code;
/// a closed stdout ends the tool quietly.
public func runTool(_ diagnostics: Diagnostics, _ body: () throws -> Void) throws {
  ignoreBrokenPipeSignal()
  do {
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
