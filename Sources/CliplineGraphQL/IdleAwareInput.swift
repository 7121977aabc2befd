import CliplineRecords
import CliplineSystem
import Foundation

/// stdin as records, with a hook called whenever the next read would wait: a batch can go out with whatever has
/// arrived instead of holding records back until it is full.
public final class IdleAwareInput {
  public var onIdle: () -> Void = {}
  private let fileDescriptor: Int32

  public init(fileDescriptor: Int32 = STDIN_FILENO) { self.fileDescriptor = fileDescriptor }

  public func records() -> RecordReader {
    // Read as ended once SIGTERM comes, like every tool's stdin: a batch waiting for more input goes out then.
    RecordReader(
      lines: .standardInputEndingOnShutdown(fileDescriptor: fileDescriptor) { [self] in
        onIdle()
        return false
      })
  }
}
