internal import CCliplineRabbitMQ
import CliplineRecords
import CliplineSystem
import Foundation

/// C memory that must outlive one library call (the strings and tables of a publish): allocated here,
/// freed together when the arena goes. rabbitmq-c keeps our pointers during the call, so no Swift temporaries.
final class CArena {
  private var blocks: [UnsafeMutableRawPointer] = []

  deinit { for block in blocks { free(block) } }

  func bytes(_ array: [UInt8]) -> amqp_bytes_t {
    guard !array.isEmpty else { return amqp_bytes_t(len: 0, bytes: nil) }
    let block = malloc(array.count)!
    blocks.append(block)
    array.withUnsafeBytes { block.copyMemory(from: $0.baseAddress!, byteCount: array.count) }
    return amqp_bytes_t(len: array.count, bytes: block)
  }

  func bytes(_ text: String) -> amqp_bytes_t { bytes(Array(text.utf8)) }

  func buffer<T>(of type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
    let block = malloc(max(1, count) * MemoryLayout<T>.stride)!
    blocks.append(block)
    return block.bindMemory(to: type, capacity: count)
  }

  func table(_ fields: [String: JSONValue]) -> amqp_table_t { table(FieldTable(json: fields)) }

  func table(_ table: FieldTable) -> amqp_table_t {
    let entries = buffer(of: amqp_table_entry_t.self, count: table.entries.count)
    for (index, entry) in table.entries.enumerated() {
      entries[index] = amqp_table_entry_t(key: bytes(entry.key), value: value(entry.value))
    }
    return amqp_table_t(num_entries: Int32(table.entries.count), entries: entries)
  }

  func value(_ field: FieldValue) -> amqp_field_value_t {
    if let number = Self.number(field) { return number }
    var value = amqp_field_value_t()
    func kind(_ kind: amqp_field_value_kind_t) { value.kind = UInt8(kind.rawValue) }
    switch field {
    case .boolean(let flag):
      kind(AMQP_FIELD_KIND_BOOLEAN)
      value.value.boolean = flag ? 1 : 0
    case .decimal(let scale, let number):
      kind(AMQP_FIELD_KIND_DECIMAL)
      value.value.decimal = amqp_decimal_t(decimals: scale, value: number)
    case .string(let text):
      kind(AMQP_FIELD_KIND_UTF8)
      value.value.bytes = bytes(text)
    case .bytes(let data):
      kind(AMQP_FIELD_KIND_BYTES)
      value.value.bytes = bytes(data)
    case .timestamp(let seconds):
      kind(AMQP_FIELD_KIND_TIMESTAMP)
      value.value.u64 = seconds
    case .table(let nested):
      kind(AMQP_FIELD_KIND_TABLE)
      value.value.table = table(nested)
    case .array(let items):
      kind(AMQP_FIELD_KIND_ARRAY)
      let entries = buffer(of: amqp_field_value_t.self, count: items.count)
      for (index, item) in items.enumerated() { entries[index] = self.value(item) }
      value.value.array = amqp_array_t(num_entries: Int32(items.count), entries: entries)
    case .void: kind(AMQP_FIELD_KIND_VOID)
    case .int8, .uint8, .int16, .uint16, .int32, .uint32, .int64, .uint64, .float, .double: break  // `number`
    }
    return value
  }

  /// A number's field value (they need no memory of the arena); nil for any other kind.
  private static func number(_ field: FieldValue) -> amqp_field_value_t? {
    var value = amqp_field_value_t()
    let kind: amqp_field_value_kind_t
    switch field {
    case .int8(let number): (kind, value.value.i8) = (AMQP_FIELD_KIND_I8, number)
    case .uint8(let number): (kind, value.value.u8) = (AMQP_FIELD_KIND_U8, number)
    case .int16(let number): (kind, value.value.i16) = (AMQP_FIELD_KIND_I16, number)
    case .uint16(let number): (kind, value.value.u16) = (AMQP_FIELD_KIND_U16, number)
    case .int32(let number): (kind, value.value.i32) = (AMQP_FIELD_KIND_I32, number)
    case .uint32(let number): (kind, value.value.u32) = (AMQP_FIELD_KIND_U32, number)
    case .int64(let number): (kind, value.value.i64) = (AMQP_FIELD_KIND_I64, number)
    case .uint64(let number): (kind, value.value.u64) = (AMQP_FIELD_KIND_U64, number)
    case .float(let number): (kind, value.value.f32) = (AMQP_FIELD_KIND_F32, number)
    case .double(let number): (kind, value.value.f64) = (AMQP_FIELD_KIND_F64, number)
    default: return nil
    }
    value.kind = UInt8(kind.rawValue)
    return value
  }
}

/// AMQP field tables read back exactly, whatever client wrote them. Reads rabbitmq-c's decoded table in place
/// (never `amqp_table_clone`, which refuses an empty key and so made a whole message unreadable).
enum FieldTableReader {
  /// A value of a kind we do not know (rabbitmq-c decoded it, so the frame was sound).
  struct UnknownKind: Error, CustomStringConvertible {
    let kind: UInt8
    var description: String {
      let letter = (32..<127).contains(kind) ? "'\(Character(Unicode.Scalar(kind)))'" : "0x\(String(kind, radix: 16))"
      return "a header value has the unknown AMQP field type \(letter)"
    }
  }

  static func table(_ table: amqp_table_t) throws -> FieldTable {
    guard table.num_entries > 0, let entries = table.entries else { return FieldTable() }
    return FieldTable(
      try (0..<Int(table.num_entries)).map { (entries[$0].key.string, try value(entries[$0].value)) })
  }

  static func value(_ field: amqp_field_value_t) throws -> FieldValue {
    let value = field.value
    switch UInt32(field.kind) {
    case AMQP_FIELD_KIND_BOOLEAN.rawValue: return .boolean(value.boolean != 0)
    case AMQP_FIELD_KIND_I8.rawValue: return .int8(value.i8)
    case AMQP_FIELD_KIND_U8.rawValue: return .uint8(value.u8)
    case AMQP_FIELD_KIND_I16.rawValue: return .int16(value.i16)
    case AMQP_FIELD_KIND_U16.rawValue: return .uint16(value.u16)
    case AMQP_FIELD_KIND_I32.rawValue: return .int32(value.i32)
    case AMQP_FIELD_KIND_U32.rawValue: return .uint32(value.u32)
    case AMQP_FIELD_KIND_I64.rawValue: return .int64(value.i64)
    case AMQP_FIELD_KIND_U64.rawValue: return .uint64(value.u64)
    case AMQP_FIELD_KIND_TIMESTAMP.rawValue: return .timestamp(value.u64)
    case AMQP_FIELD_KIND_F32.rawValue: return .float(value.f32)
    case AMQP_FIELD_KIND_F64.rawValue: return .double(value.f64)
    case AMQP_FIELD_KIND_DECIMAL.rawValue: return .decimal(scale: value.decimal.decimals, value: value.decimal.value)
    case AMQP_FIELD_KIND_UTF8.rawValue: return .string(value.bytes.array)
    case AMQP_FIELD_KIND_BYTES.rawValue: return .bytes(value.bytes.array)
    case AMQP_FIELD_KIND_TABLE.rawValue: return .table(try table(value.table))
    case AMQP_FIELD_KIND_ARRAY.rawValue:
      guard value.array.num_entries > 0, let entries = value.array.entries else { return .array([]) }
      return .array(try (0..<Int(value.array.num_entries)).map { try Self.value(entries[$0]) })
    case AMQP_FIELD_KIND_VOID.rawValue: return .void
    default: throw UnknownKind(kind: field.kind)
    }
  }
}
