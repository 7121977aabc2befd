import CliplineSystem
import Foundation

/// Ctrl-C stops a shell loop. bash ends `for f in …; do tool "$f"; done` on Ctrl-C only when the tool it waited
/// for died of SIGINT itself; a tool that exits, with any code, starts the loop's next turn. So a tool stopped by
/// SIGINT cleans up as for any stop (its records written, its work directory removed, the stop said on stderr),
/// then, as it exits, dies by SIGINT. SIGTERM and SIGHUP keep their exit codes (75 while input was still due).
enum InterruptExit {
  private static let registered: Void = { atexit { dieOfInterruptIfStoppedByIt() } }()

  /// Once per process, from runTool.
  static func register() { _ = registered }
}

/// Runs as the process exits (after the tool's clean-up): when SIGINT stopped it, flushes what stdio holds and
/// raises SIGINT with its default action.
private func dieOfInterruptIfStoppedByIt() {
  guard ShutdownSignal.shared.receivedSignal == SIGINT else { return }
  fflush(nil)
  signal(SIGINT, SIG_DFL)
  var interrupt = sigset_t()
  sigemptyset(&interrupt)
  sigaddset(&interrupt, SIGINT)
  pthread_sigmask(SIG_UNBLOCK, &interrupt, nil)
  raise(SIGINT)
}
