import CliplineRecords
import CliplineSystem
import Foundation

/// An AMQP 0-9-1 field value exactly as it travels (RabbitMQ's type letters), so a message that is retried or
/// dead-lettered leaves with the headers it came with: a pika decimal stays a decimal, bytes stay bytes.
/// JSON is only a view of it (`json`), for handlers and `--envelope`.
public indirect enum FieldValue: Equatable, Sendable {
  case boolean(Bool)
  case int8(Int8)
  case uint8(UInt8)
  case int16(Int16)
  case uint16(UInt16)
  case int32(Int32)
  case uint32(UInt32)
  case int64(Int64)
  case uint64(UInt64)
  case float(Float)
  case double(Double)
  /// `value` × 10^−`scale`.
  case decimal(scale: UInt8, value: UInt32)
  /// A long string ('S'): usually UTF-8, but kept as bytes.
  case string([UInt8])
  /// A byte array ('x').
  case bytes([UInt8])
  /// Seconds since 1970 ('T').
  case timestamp(UInt64)
  case table(FieldTable)
  case array([FieldValue])
  case void

  /// JSON becomes the types every AMQP client reads: strings → long string, integers → signed 64-bit,
  /// numbers → double, booleans, null → void, objects → tables, arrays → arrays.
  public init(json: JSONValue) {
    switch json {
    case .null: self = .void
    case .bool(let flag): self = .boolean(flag)
    case .integer(let number): self = .int64(number)
    case .double(let number): self = .double(number)
    // A number kept as its text (beyond Int64, 1e400, -0): its text, which no AMQP number type would keep.
    case .number(let text): self = .string(Array(text.utf8))
    case .string(let text): self = .string(Array(text.utf8))
    case .object(let object): self = .table(FieldTable(json: object))
    case .array(let items): self = .array(items.map(FieldValue.init(json:)))
    }
  }

  /// The value as JSON: integers as integers (an unsigned 64-bit one beyond Int64 as a number kept as its
  /// text), decimals as numbers written with their scale (`[2, 6050]` is `60.50`, not the double `60.5`), strings and byte arrays as text (invalid UTF-8 repaired), timestamps as RFC 3339, void as null.
  /// `scale` 2, `6050` → `60.50`; scale 0 → the digits as they are.
  static func decimalText(scale: Int, value digits: String) -> String {
    guard scale > 0 else { return digits }
    let padded = String(repeating: "0", count: max(0, scale + 1 - digits.count)) + digits
    return padded.dropLast(scale) + "." + padded.suffix(scale)
  }

  public var json: JSONValue {
    switch self {
    case .boolean(let flag): return .bool(flag)
    case .int8(let number): return .integer(Int64(number))
    case .uint8(let number): return .integer(Int64(number))
    case .int16(let number): return .integer(Int64(number))
    case .uint16(let number): return .integer(Int64(number))
    case .int32(let number): return .integer(Int64(number))
    case .uint32(let number): return .integer(Int64(number))
    case .int64(let number): return .integer(number)
    case .uint64(let number): return number <= UInt64(Int64.max) ? .integer(Int64(number)) : .number(String(number))
    case .float(let number): return number.isFinite ? .double(Double(number)) : .string(String(number))
    case .double(let number): return number.isFinite ? .double(number) : .string(String(number))
    case .decimal(let scale, let value):
      // The value is signed on the wire (RabbitMQ, pika, Java's BigDecimal).
      let signed = Int32(bitPattern: value)
      let text = Self.decimalText(scale: Int(scale), value: String(signed.magnitude))
      return .number(signed < 0 ? "-" + text : text)
    case .string(let bytes), .bytes(let bytes): return .string(String(decoding: bytes, as: UTF8.self))
    case .timestamp(let seconds):
      return .string(RFC3339.format(Date(timeIntervalSince1970: Double(min(seconds, 253_402_300_799)))))
    case .table(let table): return .object(table.jsonObject)
    case .array(let items): return .array(items.map(\.json))
    case .void: return .null
    }
  }
}

/// A field table in wire order. Keys are unique as far as this type is concerned: setting one replaces it in place.
public struct FieldTable: Equatable, Sendable {
  public var entries: [(key: String, value: FieldValue)] = []

  public init() {}

  public init(_ entries: [(key: String, value: FieldValue)]) { self.entries = entries }

  /// From JSON, keys sorted (a JSON object has no order).
  public init(json object: [String: JSONValue]) {
    entries = object.keys.sorted().map { ($0, FieldValue(json: object[$0]!)) }
  }

  public var isEmpty: Bool { entries.isEmpty }

  public subscript(key: String) -> FieldValue? {
    get { entries.first { $0.key == key }?.value }
    set {
      let index = entries.firstIndex { $0.key == key }
      switch (index, newValue) {
      case (let index?, let value?): entries[index].value = value
      case (let index?, nil): entries.remove(at: index)
      case (nil, let value?): entries.append((key, value))
      case (nil, nil): break
      }
    }
  }

  /// Sets a header from JSON, keeping every other entry as it was.
  public mutating func set(_ key: String, _ value: JSONValue) { self[key] = FieldValue(json: value) }

  /// The JSON view (a later duplicate key wins, as it would in most clients).
  public var jsonObject: [String: JSONValue] {
    var object: [String: JSONValue] = [:]
    for entry in entries { object[entry.key] = entry.value.json }
    return object
  }

  public static func == (left: FieldTable, right: FieldTable) -> Bool {
    left.entries.count == right.entries.count
      && zip(left.entries, right.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
  }
}
