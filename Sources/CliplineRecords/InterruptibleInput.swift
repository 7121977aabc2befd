import CliplineSystem
import Foundation

extension LineReader {
  /// Standard input that reads as ended once SIGTERM/SIGINT/SIGHUP arrived (`ShutdownSignal`), so a tool blocked on
  /// an idle upstream can still finish what it started (confirm, flush) and exit cleanly: every tool reads its
  /// records this way (`RecordReader()`). While no input is ready, `whileIdle` may do the tool's own waiting
  /// (reading acks from a server, say) and returns true if it did; otherwise the reader sleeps in poll(2) on stdin
  /// and the shutdown wake-up descriptor together, so a signal ends the wait at once.
  public static func standardInputEndingOnShutdown(
    fileDescriptor: Int32 = STDIN_FILENO, whileIdle: @escaping () throws -> Bool = { false }
  ) -> LineReader {
    LineReader { destination in
      var timeout: Int32 = 0
      while true {
        if ShutdownSignal.shared.isRequested { return 0 }
        var descriptors = [
          pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0),
          pollfd(fd: ShutdownSignal.shared.wakeUpDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        let ready = try FileDescriptorIO.retryingInterrupts("poll") { poll(&descriptors, 2, timeout) }
        if ready > 0, descriptors[0].revents != 0 {
          do {
            return try FileDescriptorIO.read(fileDescriptor, into: destination)
          } catch let error as SystemCallError where error.code == EAGAIN {
            continue
          }
        }
        if ready == 0 { timeout = try whileIdle() ? 0 : -1 }
      }
    }
  }
}
