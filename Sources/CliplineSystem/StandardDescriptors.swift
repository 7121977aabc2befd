import Foundation

/// Descriptors 0, 1 and 2 opened on /dev/null when a tool starts without them (`cmd <&-`, a daemon, a unit with
/// no standard input): otherwise the first pipe or socket the tool opens takes number 0 and the record reader
/// reads it, or a record goes to whatever took number 1.
public enum StandardDescriptors {
  /// Idempotent; `runTool` and `ShutdownSignal` call it before they open anything.
  public static func ensureOpen() { _ = opened }

  private static let opened: Void = {
    for descriptor in STDIN_FILENO...STDERR_FILENO where fcntl(descriptor, F_GETFD) == -1 && errno == EBADF {
      let null = open("/dev/null", descriptor == STDIN_FILENO ? O_RDONLY : O_WRONLY)
      // open(2) takes the lowest free number, which is this one; dup2 covers the rest.
      if null >= 0 && null != descriptor {
        dup2(null, descriptor)
        close(null)
      }
    }
  }()
}
