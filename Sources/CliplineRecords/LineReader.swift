import CliplineSystem
import Foundation

/// Splits a byte stream into `\n`-terminated lines without holding more than one line and one read buffer.
/// Each byte is scanned once (memchr over the bytes not yet searched), so a long line costs linear time. A line
/// longer than `maximumLineLength` is not held: `nextLine` throws `LineTooLong` naming it, and the next call goes
/// on with the line after it.
public final class LineReader {
  /// 16 MiB: far above any record the tools exchange (a few hundred bytes), low enough that a runaway producer
  /// cannot make a tool hold gigabytes.
  public static let maximumLineLength = 16 * 1024 * 1024

  private let readChunk: (UnsafeMutableRawBufferPointer) throws -> Int
  private let maximumLength: Int
  private var buffer: [UInt8] = []
  /// Where `read` lands before its bytes join `buffer` (one memcpy: growing `buffer` by zeros and trimming it
  /// costs far more, and in debug builds dominates a long line).
  private let readArea = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)
  private var start = 0
  /// `buffer[start..<scanned]` holds no newline: the next search starts at `scanned`.
  private var scanned = 0
  /// The line being read is over the maximum: its bytes are dropped until its newline.
  private var skipping = false
  private var finished = false
  public private(set) var lineNumber = 0
  /// Bytes searched for a newline so far; a test reads it to see that no byte is searched twice.
  public private(set) var bytesScanned = 0

  /// Reads from a file descriptor (stdin by default) with `read(2)`.
  public convenience init(fileDescriptor: Int32 = STDIN_FILENO) {
    self.init { try FileDescriptorIO.read(fileDescriptor, into: $0) }
  }

  /// Reads from bytes in memory (tests, and records built by a program).
  public convenience init(maximumLineLength: Int = LineReader.maximumLineLength, bytes: [UInt8]) {
    var remaining = bytes[...]
    self.init(maximumLineLength: maximumLineLength) { destination in
      let count = min(destination.count, remaining.count)
      destination.copyBytes(from: remaining.prefix(count))
      remaining = remaining.dropFirst(count)
      return count
    }
  }

  public init(
    maximumLineLength: Int = LineReader.maximumLineLength,
    readChunk: @escaping (UnsafeMutableRawBufferPointer) throws -> Int
  ) {
    self.maximumLength = maximumLineLength
    self.readChunk = readChunk
  }

  deinit { readArea.deallocate() }

  /// The next line without its terminator, or nil at the end of input. A last line without `\n` counts.
  /// A line over the maximum throws `LineTooLong`; reading again continues after it.
  public func nextLine() throws -> ArraySlice<UInt8>? {
    while true {
      if let newline = searchNewline() {
        let line = buffer[start..<newline]
        start = newline + 1
        scanned = start
        lineNumber += 1
        if skipping || line.count > maximumLength {
          skipping = false
          throw LineTooLong(line: lineNumber, maximum: maximumLength)
        }
        return trimmed(line)
      }
      if skipping || buffer.count - start > maximumLength {
        skipping = true
        start = buffer.count
        scanned = start
      }
      if finished {
        guard start < buffer.count || skipping else { return nil }
        lineNumber += 1
        if skipping {
          skipping = false
          throw LineTooLong(line: lineNumber, maximum: maximumLength)
        }
        let line = buffer[start...]
        start = buffer.count
        scanned = start
        return trimmed(line, terminated: false)
      }
      try readMore()
    }
  }

  /// A line without its `\r`; the first also without a UTF-8 byte order mark, which some editors write.
  private func trimmed(_ line: ArraySlice<UInt8>, terminated: Bool = true) -> ArraySlice<UInt8> {
    var line = terminated && line.last == 0x0D ? line.dropLast() : line
    if lineNumber == 1, line.starts(with: [0xEF, 0xBB, 0xBF]) { line = line.dropFirst(3) }
    return line
  }

  /// The index of the first newline in the bytes not searched yet; marks them searched.
  private func searchNewline() -> Int? {
    guard scanned < buffer.count else { return nil }
    let from = scanned
    let found = buffer.withUnsafeBytes { raw -> Int? in
      guard let found = memchr(raw.baseAddress! + from, 0x0A, raw.count - from) else { return nil }
      return raw.baseAddress!.distance(to: UnsafeRawPointer(found))
    }
    scanned = found.map { $0 + 1 } ?? buffer.count
    bytesScanned += scanned - from
    return found
  }

  private func readMore() throws {
    if start > 0 {
      buffer.removeSubrange(0..<start)
      scanned -= start
      start = 0
    }
    let count = try readChunk(readArea)
    buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: readArea[..<count]))
    if count == 0 { finished = true }
  }
}

/// A line longer than the reader's maximum: it was skipped, and the lines after it are still read (exit 65).
public struct LineTooLong: ExitStatusProviding, CustomStringConvertible, Equatable {
  public let line: Int
  public let maximum: Int
  public var exitStatus: ExitStatus { .dataError }
  public var description: String {
    "line \(line) is longer than the maximum of \(maximum) bytes; it was skipped"
  }
}

/// One input record with the line it came from; a line that is not a JSON object carries its error.
public struct InputLine: Sendable {
  public let number: Int
  public let record: Result<Record, InputError>
}

/// NDJSON records from a line reader; blank lines are skipped.
public final class RecordReader: Sequence, IteratorProtocol {
  private let lines: LineReader
  public private(set) var readError: Error?

  public init(lines: LineReader = .standardInputEndingOnShutdown()) { self.lines = lines }

  public convenience init(text: String) { self.init(lines: LineReader(bytes: Array(text.utf8))) }

  public func next() -> InputLine? {
    while true {
      let line: ArraySlice<UInt8>
      do {
        guard let next = try lines.nextLine() else { return nil }
        line = next
      } catch let tooLong as LineTooLong {
        return InputLine(number: tooLong.line, record: .failure(.lineTooLong(maximum: tooLong.maximum)))
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
