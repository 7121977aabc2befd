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
    let fileDescriptor = self.fileDescriptor
    return RecordReader(
      lines: LineReader { [self] destination in
        var waiting = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
        if poll(&waiting, 1, 0) == 0 { onIdle() }
        return try FileDescriptorIO.read(fileDescriptor, into: destination)
      })
  }
}
