import CliplineSystem
import Foundation

extension LineReader {
  /// Standard input that reads as ended once SIGTERM/SIGINT arrived (`ShutdownSignal`), so a tool blocked on an
  /// idle upstream can still finish what it started (confirm, flush) and exit cleanly. While no input is ready,
  /// `whileIdle` may do the tool's own waiting (reading acks from a server, say) and returns true if it did;
  /// otherwise the reader waits in poll(2) for up to 200 ms at a time (beside the shutdown wake-up descriptor,
  /// so a signal ends the wait at once).
  public static func standardInputEndingOnShutdown(whileIdle: @escaping () throws -> Bool = { false }) -> LineReader {
    LineReader { destination in
      var timeout: Int32 = 0
      while true {
        if ShutdownSignal.shared.isRequested { return 0 }
        var descriptors = [
          pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
          pollfd(fd: ShutdownSignal.shared.wakeUpDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        let ready = try FileDescriptorIO.retryingInterrupts("poll") { poll(&descriptors, 2, timeout) }
        if ready > 0, descriptors[0].revents != 0 {
          do {
            return try FileDescriptorIO.read(STDIN_FILENO, into: destination)
          } catch let error as SystemCallError where error.code == EAGAIN {
            continue
          }
        }
        timeout = try whileIdle() ? 0 : 200
      }
    }
  }
}
