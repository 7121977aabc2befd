import CliplineSystem
import Foundation

extension LineReader {
  /// Standard input that reads as ended once SIGTERM/SIGINT arrived (`ShutdownSignal`), so a tool blocked on an
  /// idle upstream can still finish what it started (confirm, flush) and exit cleanly. While no input is ready,
  /// `whileIdle` may do the tool's own waiting (reading acks from a server, say) and returns true if it did;
  /// otherwise the reader sleeps in poll(2) for up to 200 ms at a time.
  public static func standardInputEndingOnShutdown(whileIdle: @escaping () throws -> Bool = { false }) -> LineReader {
    LineReader { destination in
      var timeout: Int32 = 0
      while true {
        if ShutdownSignal.shared.isRequested { return 0 }
        var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        let ready = try FileDescriptorIO.retryingInterrupts("poll") { poll(&descriptor, 1, timeout) }
        if ready > 0 {
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
