import CliplineSystem
import Foundation

/// The reader downstream went away (EPIPE): the tool ends quietly, with 141 (records went unwritten).
public struct OutputClosed: Error {
  public init() {}
}

/// Where whole lines go. Each call is one line, written at once.
public protocol LineSink: AnyObject {
  func writeLine(_ bytes: [UInt8]) throws
}

/// A file descriptor (stdout by default): one `write(2)` per line, retried only for a short write.
public final class FileDescriptorSink: LineSink {
  private let fileDescriptor: Int32

  public init(fileDescriptor: Int32 = STDOUT_FILENO) {
    self.fileDescriptor = fileDescriptor
    ignoreBrokenPipeSignal()
  }

  public func writeLine(_ bytes: [UInt8]) throws {
    do {
      try bytes.withUnsafeBytes { try FileDescriptorIO.writeAll(fileDescriptor, $0) }
    } catch let error as SystemCallError where error.code == EPIPE {
      throw OutputClosed()
    }
  }
}

/// Lines kept in memory, for tests and for tools that collect before they write.
public final class MemorySink: LineSink, @unchecked Sendable {  // `lock` guards `stored`
  private let lock = NSLock()
  private var stored: [[UInt8]] = []

  public init() {}

  public func writeLine(_ bytes: [UInt8]) throws {
    lock.withLock { stored.append(bytes) }
  }

  public var lines: [String] {
    lock.withLock { stored.map { String(decoding: $0.last == 0x0A ? $0.dropLast() : $0[...], as: UTF8.self) } }
  }

  public var records: [Record] { lines.compactMap { try? Record(json: $0) } }
}

/// Writes records as compact JSON lines; safe to call from several threads (lines never interleave).
public final class RecordWriter: @unchecked Sendable {  // `lock` guards every use of `sink`
  private let sink: LineSink
  private let lock = NSLock()

  public init(sink: LineSink = FileDescriptorSink()) { self.sink = sink }

  /// Throws `OutputClosed` when the reader went away, `RecordNotWritten` for any other failure (a full disk).
  public func write(_ record: Record) throws {
    let line = record.jsonLine
    do {
      try lock.withLock { try sink.writeLine(line) }
    } catch let closed as OutputClosed {
      throw closed
    } catch {
      throw RecordNotWritten(underlying: error)
    }
  }
}

/// A record whose work was done but which could not be written to stdout (a full disk, an I/O error): a failure of
/// that record, and the loops stop there, since every later record would be lost the same way.
public struct RecordNotWritten: ExitStatusProviding, CustomStringConvertible {
  public let underlying: Error
  public var exitStatus: ExitStatus { ExitStatus.of(underlying) }
  public var description: String { "its record could not be written to stdout: \(describe(underlying))" }
}

/// SIGPIPE would kill the tool before it could see EPIPE; ignore it once per process.
public func ignoreBrokenPipeSignal() {
  _ = brokenPipeIgnored
}

private let brokenPipeIgnored: Void = {
  signal(SIGPIPE, SIG_IGN)
}()
