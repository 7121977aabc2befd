import CliplineSystem

/// A strict RFC 8259 parser over UTF-8 bytes, fast enough for tens of thousands of lines a second.
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
  public let offset: Int
  public let reason: String
  public var description: String { "\(reason) at byte \(offset + 1)" }
}

public enum JSONParser {
  public static func parse(_ text: String) throws -> JSONValue {
    try parse(Array(text.utf8))
  }

  public static func parse<Bytes: Collection>(_ bytes: Bytes) throws -> JSONValue where Bytes.Element == UInt8 {
    let result = bytes.withContiguousStorageIfAvailable { buffer in
      Result { try parseBuffer(buffer) }
    }
    if let result { return try result.get() }
    return try Array(bytes).withUnsafeBufferPointer { try parseBuffer($0) }
  }

  private static func parseBuffer(_ buffer: UnsafeBufferPointer<UInt8>) throws -> JSONValue {
    var cursor = Cursor(bytes: buffer)
    cursor.skipWhitespace()
    let value = try cursor.parseValue(depth: 0)
    cursor.skipWhitespace()
    guard cursor.atEnd else { throw cursor.error("unexpected text after the JSON value") }
    return value
  }
}

private struct Cursor {
  let bytes: UnsafeBufferPointer<UInt8>
  var index = 0
  static let maximumDepth = 512

  init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

  var atEnd: Bool { index >= bytes.count }

  func error(_ reason: String) -> JSONParseError { JSONParseError(offset: index, reason: reason) }

  mutating func skipWhitespace() {
    while index < bytes.count {
      switch bytes[index] {
      case 0x20, 0x09, 0x0A, 0x0D: index += 1
      default: return
      }
    }
  }

  mutating func parseValue(depth: Int) throws -> JSONValue {
    guard depth < Cursor.maximumDepth else { throw error("JSON nested too deeply") }
    guard index < bytes.count else { throw error("unexpected end of input") }
    switch bytes[index] {
    case UInt8(ascii: "{"): return try parseObject(depth: depth)
    case UInt8(ascii: "["): return try parseArray(depth: depth)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"):
      try expectLiteral("true")
      return .bool(true)
    case UInt8(ascii: "f"):
      try expectLiteral("false")
      return .bool(false)
    case UInt8(ascii: "n"):
      try expectLiteral("null")
      return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
    default: throw error("unexpected \(describeByte(at: index))")
    }
  }

  mutating func expectLiteral(_ literal: String) throws {
    for expected in literal.utf8 {
      guard index < bytes.count, bytes[index] == expected else { throw error("invalid literal") }
      index += 1
    }
  }

  mutating func parseObject(depth: Int) throws -> JSONValue {
    index += 1
    var object: [String: JSONValue] = [:]
    skipWhitespace()
    if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
      index += 1
      return .object(object)
    }
    while true {
      skipWhitespace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a string key") }
      let key = try parseString()
      skipWhitespace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
      index += 1
      skipWhitespace()
      object[key] = try parseValue(depth: depth + 1)
      skipWhitespace()
      guard index < bytes.count else { throw error("unexpected end of input in an object") }
      if bytes[index] == UInt8(ascii: ",") {
        index += 1
      } else if bytes[index] == UInt8(ascii: "}") {
        index += 1
        return .object(object)
      } else {
        throw error("expected ',' or '}'")
      }
    }
  }

  mutating func parseArray(depth: Int) throws -> JSONValue {
    index += 1
    var array: [JSONValue] = []
    skipWhitespace()
    if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
      index += 1
      return .array(array)
    }
    while true {
      skipWhitespace()
      array.append(try parseValue(depth: depth + 1))
      skipWhitespace()
      guard index < bytes.count else { throw error("unexpected end of input in an array") }
      if bytes[index] == UInt8(ascii: ",") {
        index += 1
      } else if bytes[index] == UInt8(ascii: "]") {
        index += 1
        return .array(array)
      } else {
        throw error("expected ',' or ']'")
      }
    }
  }

  mutating func parseString() throws -> String {
    index += 1
    let start = index
    // Fast path: no escapes.
    while index < bytes.count {
      let byte = bytes[index]
      if byte == UInt8(ascii: "\"") {
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
        index += 1
        guard let string = String(validating: slice, as: UTF8.self) else { throw error("invalid UTF-8 in a string") }
        return string
      }
      if byte == UInt8(ascii: "\\") { break }
      if byte < 0x20 { throw error("control character in a string") }
      index += 1
    }
    var scratch = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
    while index < bytes.count {
      let byte = bytes[index]
      switch byte {
      case UInt8(ascii: "\""):
        index += 1
        guard let string = String(validating: scratch, as: UTF8.self) else { throw error("invalid UTF-8 in a string") }
        return string
      case UInt8(ascii: "\\"):
        index += 1
        guard index < bytes.count else { throw error("unexpected end of input in an escape") }
        let escape = bytes[index]
        index += 1
        switch escape {
        case UInt8(ascii: "\""): scratch.append(0x22)
        case UInt8(ascii: "\\"): scratch.append(0x5C)
        case UInt8(ascii: "/"): scratch.append(0x2F)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
          scratch.append(contentsOf: Array(String(Character(try parseUnicodeEscape())).utf8))
        default:
          throw error("invalid escape")
        }
      default:
        if byte < 0x20 { throw error("control character in a string") }
        scratch.append(byte)
        index += 1
      }
    }
    throw error("unterminated string")
  }

  /// The scalar of a `\\u` escape whose `\\u` was read, joining a surrogate pair.
  mutating func parseUnicodeEscape() throws -> Unicode.Scalar {
    var scalar = try parseHex4()
    if (0xD800..<0xDC00).contains(scalar) {
      guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
      else { throw error("unpaired surrogate in a string") }
      index += 2
      let low = try parseHex4()
      guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate in a string") }
      scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
    } else if (0xDC00..<0xE000).contains(scalar) {
      throw error("unpaired surrogate in a string")
    }
    guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
    return unicode
  }

  mutating func parseHex4() throws -> UInt32 {
    guard index + 4 <= bytes.count else { throw error("unexpected end of input in a \\u escape") }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = bytes[index]
      let digit: UInt32
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
      default: throw error("invalid hex digit in a \\u escape")
      }
      value = value << 4 | digit
      index += 1
    }
    return value
  }

  mutating func parseNumber() throws -> JSONValue {
    let start = index
    var isInteger = true
    if bytes[index] == UInt8(ascii: "-") { index += 1 }
    guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
    if bytes[index] == UInt8(ascii: "0") {
      index += 1
    } else {
      while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }
    if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
      isInteger = false
      index += 1
      guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
      while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }
    if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
      isInteger = false
      index += 1
      if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
      guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
      while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }
    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    // Only a value that writes back as the same text is kept parsed; any other number is kept as its text.
    if isInteger, let integer = Int64(text), String(integer) == text { return .integer(integer) }
    if !isInteger, let double = Double(text), double.isFinite, JSONSerializer.format(double) == text {
      return .double(double)
    }
    return .number(text)
  }

  /// A byte as an error names it: printable ASCII quoted, a byte order mark by name, anything else in hex.
  func describeByte(at position: Int) -> String {
    let byte = bytes[position]
    if (0x21...0x7E).contains(byte) { return "character '\(Character(Unicode.Scalar(byte)))'" }
    if byte == 0xEF, position + 2 < bytes.count, bytes[position + 1] == 0xBB, bytes[position + 2] == 0xBF {
      return "byte order mark (U+FEFF)"
    }
    return "byte 0x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16, uppercase: true)
  }

  func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
