import CliplineSystem
import Foundation

/// Splits a byte stream into `\n`-terminated lines without holding more than one line and one read buffer.
public final class LineReader {
  private let readChunk: (UnsafeMutableRawBufferPointer) throws -> Int
  private var buffer: [UInt8] = []
  private var start = 0
  private var finished = false
  public private(set) var lineNumber = 0

  /// Reads from a file descriptor (stdin by default) with `read(2)`.
  public convenience init(fileDescriptor: Int32 = STDIN_FILENO) {
    self.init { try FileDescriptorIO.read(fileDescriptor, into: $0) }
  }

  /// Reads from bytes in memory (tests, and records built by a program).
  public convenience init(bytes: [UInt8]) {
    var remaining = bytes[...]
    self.init { destination in
      let count = min(destination.count, remaining.count)
      destination.copyBytes(from: remaining.prefix(count))
      remaining = remaining.dropFirst(count)
      return count
    }
  }

  public init(readChunk: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) {
    self.readChunk = readChunk
  }

  /// The next line without its terminator, or nil at the end of input. A last line without `\n` counts.
  public func nextLine() throws -> ArraySlice<UInt8>? {
    while true {
      if let newline = buffer[start...].firstIndex(of: 0x0A) {
        let line = buffer[start..<newline]
        start = newline + 1
        lineNumber += 1
        return line.last == 0x0D ? line.dropLast() : line
      }
      if finished {
        guard start < buffer.count else { return nil }
        let line = buffer[start...]
        start = buffer.count
        lineNumber += 1
        return line
      }
      if start > 0 {
        buffer.removeSubrange(0..<start)
        start = 0
      }
      let oldCount = buffer.count
      buffer.append(contentsOf: repeatElement(0, count: 64 * 1024))
      let count = try buffer.withUnsafeMutableBytes { raw in
        try readChunk(UnsafeMutableRawBufferPointer(rebasing: raw[oldCount...]))
      }
      buffer.removeLast(64 * 1024 - count)
      if count == 0 { finished = true }
    }
  }
}

/// One input record with the line it came from; a line that is not a JSON object carries its error.
public struct InputLine {
  public let number: Int
  public let record: Result<Record, InputError>
}

/// NDJSON records from a line reader; blank lines are skipped.
public final class RecordReader: Sequence, IteratorProtocol {
  private let lines: LineReader
  public private(set) var readError: Error?

  public init(lines: LineReader = LineReader()) { self.lines = lines }

  public convenience init(text: String) { self.init(lines: LineReader(bytes: Array(text.utf8))) }

  public func next() -> InputLine? {
    while true {
      let line: ArraySlice<UInt8>
      do {
        guard let next = try lines.nextLine() else { return nil }
        line = next
      } catch {
        readError = error
        return nil
      }
      if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
      do {
        return InputLine(number: lines.lineNumber, record: .success(try Record(line: line)))
      } catch let error as InputError {
        return InputLine(number: lines.lineNumber, record: .failure(error))
      } catch {
        return InputLine(number: lines.lineNumber, record: .failure(.notAnObject(reason: describe(error))))
      }
    }
  }
}
