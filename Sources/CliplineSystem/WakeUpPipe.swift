import Foundation

/// A wake-up descriptor for a thread that sleeps in poll(2): other threads (a finishing handler, a signal) write a
/// byte, the sleeper wakes and drains it. Both ends are non-blocking and close-on-exec, so no handler inherits them.
public final class WakeUpPipe: Sendable {
  public let readDescriptor: Int32
  private let writeDescriptor: Int32

  public init() throws {
    var ends: [Int32] = [0, 0]
    guard pipe(&ends) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EMFILE) }
    for descriptor in ends {
      _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
      _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }
    readDescriptor = ends[0]
    writeDescriptor = ends[1]
  }

  deinit {
    close(readDescriptor)
    close(writeDescriptor)
  }

  /// Wakes the sleeper (a full pipe already will, so a failed write is fine).
  public func signal() {
    var byte: UInt8 = 1
    _ = try? FileDescriptorIO.retryingInterrupts("write") { write(writeDescriptor, &byte, 1) }
  }

  /// Sleeps until signalled or `seconds` pass.
  public func wait(seconds: Double) {
    if (try? SocketWait.readable(readDescriptor, or: nil, seconds: seconds))?.socket == true { drain() }
  }

  public func drain() {
    var buffer = [UInt8](repeating: 0, count: 64)
    // Until EAGAIN: the pipe is non-blocking.
    while (buffer.withUnsafeMutableBytes { try? FileDescriptorIO.read(readDescriptor, into: $0) } ?? 0) > 0 {}
  }
}

/// poll(2) on a socket and a wake-up descriptor.
public enum SocketWait {
  /// Sleeps until `socket` or `wakeUp` is readable (or hung up), or `seconds` pass.
  public static func readable(_ socket: Int32, or wakeUp: Int32?, seconds: Double) throws -> (
    socket: Bool, wakeUp: Bool
  ) {
    var descriptors = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
    if let wakeUp { descriptors.append(pollfd(fd: wakeUp, events: Int16(POLLIN), revents: 0)) }
    let milliseconds = seconds.isFinite ? Int32(min(seconds * 1000, Double(Int32.max)).rounded(.up)) : -1
    _ = try FileDescriptorIO.retryingInterrupts("poll") { poll(&descriptors, nfds_t(descriptors.count), milliseconds) }
    return (descriptors[0].revents != 0, descriptors.count > 1 && descriptors[1].revents != 0)
  }
}
