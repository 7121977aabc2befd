import CliplineRecords
import CliplineSystem
import Foundation

/// A handler's stderr said again on ours, line by line, in linear time: credentials masked, a line longer than
/// `lineLimit` cut there (the rest of it is read and counted, never kept), and in JSON mode each line one JSON object
/// carrying the message's ids. It also keeps the stream's last `tailLimit` bytes for the dead-letter headers.
///
/// The line limit bounds what one line costs: masking, parsing and writing it are linear in at most `lineLimit`
/// bytes, so a handler that writes megabytes without a newline costs the consumer no more than reading them.
struct HandlerStderrRelay {
  /// Where relayed lines go; `Diagnostics.emit` keeps them whole among the consumer's own lines.
  var write: (String) -> Void
  var format: Diagnostics.Format
  /// Fields every JSON line gets unless it has them already (`message_id`, `queue`, `trace_id`, `span_id`).
  var context: [String: JSONValue]
  /// The tool a line belongs to when it does not say (the handler's program).
  var source: String
  var lineLimit = HandlerStderrRelay.defaultLineLimit
  var tailLimit = 4096
  /// Masks credentials line by line, a private key spread over lines included.
  let secrets = SecretRedaction.Lines()

  static let defaultLineLimit = 16 * 1024

  /// Reads `descriptor` to its end, relaying each line; returns the last `tailLimit` bytes as they came.
  func run(from descriptor: Int32) -> String {
    var lines = LineCutter(limit: lineLimit)
    var tail = TailBytes(limit: tailLimit)
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
      let count = (try? buffer.withUnsafeMutableBytes { try FileDescriptorIO.read(descriptor, into: $0) }) ?? 0
      if count == 0 { break }
      let bytes = buffer[0..<count]
      tail.append(bytes)
      lines.feed(bytes) { relay($0, droppedBytes: $1) }
    }
    lines.finish { relay($0, droppedBytes: $1) }
    return String(decoding: tail.bytes, as: UTF8.self)
  }

  /// One line (without its newline), `droppedBytes` past the limit cut off.
  func relay(_ line: [UInt8], droppedBytes: Int) {
    let text = secrets.mask(String(decoding: line, as: UTF8.self))
    switch format {
    case .text:
      let note = droppedBytes > 0 ? " [amqp-consume: line cut at \(lineLimit) bytes; \(droppedBytes) more dropped]" : ""
      write(text + note + "\n")
    case .json:
      var object = droppedBytes > 0 ? plainLine(text) : (Self.jsonObject(text) ?? plainLine(text))
      for (key, value) in context where object[key] == nil { object[key] = value }
      if droppedBytes > 0 { object["dropped_bytes"] = .integer(Int64(droppedBytes)) }
      write(JSONSerializer.string(.object(object)) + "\n")
    }
  }

  /// A line that already is a JSON object (a clipline tool's under `CLIPLINE_LOG_FORMAT=json`) keeps its fields.
  static func jsonObject(_ text: String) -> [String: JSONValue]? {
    guard text.first == "{", case .object(let object)? = try? JSONParser.parse(text) else { return nil }
    return object
  }

  /// Any other line: a clipline text line (`chunk: error (line 3): …`) read back into its parts, or the line as
  /// the handler wrote it, as the handler's own.
  func plainLine(_ text: String) -> [String: JSONValue] {
    var object: [String: JSONValue] = ["time": .string(RFC3339.format(Date(), fractionalDigits: 3))]
    if let parsed = ClipLineText(text) {
      object["tool"] = .string(parsed.tool)
      object["level"] = .string(parsed.level.name)
      object["message"] = .string(parsed.message)
      if let line = parsed.line { object["line"] = .integer(Int64(line)) }
    } else {
      object["tool"] = .string(source)
      object["level"] = .string(Diagnostics.Level.info.name)
      object["message"] = .string(text)
    }
    return object
  }
}

/// Splits a byte stream into lines of at most `limit` bytes (cut on a UTF-8 character boundary), counting what it
/// drops of each longer line: memory and work stay linear whatever the stream holds.
struct LineCutter {
  let limit: Int
  private var line: [UInt8] = []
  private var dropped = 0

  init(limit: Int) {
    self.limit = limit
    line.reserveCapacity(min(limit, 64 * 1024))
  }

  mutating func feed(_ bytes: ArraySlice<UInt8>, _ emit: ([UInt8], Int) -> Void) {
    var rest = bytes
    while !rest.isEmpty {
      let end = rest.firstIndex(of: UInt8(ascii: "\n"))
      let piece = rest[rest.startIndex..<(end ?? rest.endIndex)]
      take(piece)
      guard let end else { return }
      emitLine(emit)
      rest = rest[(end + 1)...]
    }
  }

  /// The last line, if the stream did not end with a newline.
  mutating func finish(_ emit: ([UInt8], Int) -> Void) {
    if !line.isEmpty || dropped > 0 { emitLine(emit) }
  }

  private mutating func take(_ piece: ArraySlice<UInt8>) {
    let kept = min(piece.count, limit - line.count)
    line.append(contentsOf: piece.prefix(kept))
    dropped += piece.count - kept
  }

  private mutating func emitLine(_ emit: ([UInt8], Int) -> Void) {
    if dropped > 0 { dropped += Self.dropPartialCharacter(from: &line) }
    emit(line, dropped)
    line.removeAll(keepingCapacity: true)
    dropped = 0
  }

  /// A cut line may end inside a UTF-8 character: those bytes go, so the kept part stays valid text.
  static func dropPartialCharacter(from line: inout [UInt8]) -> Int {
    guard let lead = line.lastIndex(where: { $0 & 0xC0 != 0x80 }), line.count - lead <= 4 else { return 0 }
    let byte = line[lead]
    let length = byte < 0x80 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
    let partial = line.count - lead < length ? line.count - lead : 0
    line.removeLast(partial)
    return partial
  }
}

/// The last `limit` bytes of a stream, kept in at most twice that much memory.
struct TailBytes {
  let limit: Int
  private var stored: [UInt8] = []

  init(limit: Int) { self.limit = limit }

  mutating func append(_ bytes: ArraySlice<UInt8>) {
    stored.append(contentsOf: bytes.suffix(limit))
    if stored.count > 2 * limit { stored.removeFirst(stored.count - limit) }
  }

  var bytes: ArraySlice<UInt8> { stored.suffix(limit) }
}

/// A line in clipline's text format: `tool: level (line N): message`, or `tool: message` for information.
struct ClipLineText {
  let tool: String
  let level: Diagnostics.Level
  let line: Int?
  let message: String

  init?(_ text: String) {
    guard let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix(": ") else { return nil }
    let tool = text[..<colon]
    let toolCharacters = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
    guard !tool.isEmpty, tool.count <= 40, tool.unicodeScalars.allSatisfy(toolCharacters.contains) else { return nil }
    self.tool = String(tool)
    var rest = text[text.index(colon, offsetBy: 2)...]
    var level = Diagnostics.Level.info
    var line: Int?
    for candidate in [Diagnostics.Level.debug, .warning, .error] where rest.hasPrefix(candidate.name) {
      let after = rest.dropFirst(candidate.name.count)
      if after.hasPrefix(": ") {
        rest = after.dropFirst(2)
      } else if after.hasPrefix(" (line "), let close = after.firstIndex(of: ")"),
        let number = Int(after[after.index(after.startIndex, offsetBy: 7)..<close]),
        after[close...].hasPrefix("): ")
      {
        line = number
        rest = after[after.index(close, offsetBy: 3)...]
      } else {
        continue
      }
      level = candidate
      break
    }
    self.level = level
    self.line = line
    message = String(rest)
  }
}
