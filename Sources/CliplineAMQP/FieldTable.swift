internal import CCliplineRabbitMQ
import Foundation
import CliplineRecords
import CliplineSystem

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

  /// JSON becomes AMQP field values: strings → longstr, integers → signed 64-bit, numbers → double,
  /// booleans, null → void, objects → nested tables, arrays → arrays. Every AMQP client reads these.
  func table(_ fields: [String: JSONValue]) -> amqp_table_t {
    let keys = fields.keys.sorted()
    let entries = buffer(of: amqp_table_entry_t.self, count: keys.count)
    for (index, key) in keys.enumerated() {
      entries[index] = amqp_table_entry_t(key: bytes(key), value: value(fields[key]!))
    }
    return amqp_table_t(num_entries: Int32(keys.count), entries: entries)
  }

  func value(_ json: JSONValue) -> amqp_field_value_t {
    switch json {
    case .null: return clipline_amqp_field_void()
    case .bool(let flag): return clipline_amqp_field_boolean(flag ? 1 : 0)
    case .integer(let number): return clipline_amqp_field_i64(number)
    case .double(let number): return clipline_amqp_field_f64(number)
    case .string(let text): return clipline_amqp_field_utf8(bytes(text))
    case .object(let object): return clipline_amqp_field_table(table(object))
    case .array(let items):
      let entries = buffer(of: amqp_field_value_t.self, count: items.count)
      for (index, item) in items.enumerated() { entries[index] = value(item) }
      return clipline_amqp_field_array(amqp_array_t(num_entries: Int32(items.count), entries: entries))
    }
  }
}

/// AMQP field tables read back as JSON, whatever client wrote them (pika writes ints as 'l' or 'I', strings as 'S').
enum FieldTableReader {
  static func object(_ table: amqp_table_t) -> [String: JSONValue] {
    var object: [String: JSONValue] = [:]
    guard table.num_entries > 0, let entries = table.entries else { return object }
    for index in 0..<Int(table.num_entries) {
      object[entries[index].key.string] = value(entries[index].value)
    }
    return object
  }

  static func value(_ field: amqp_field_value_t) -> JSONValue {
    let value = field.value
    switch Int(field.kind) {
    case Int(AMQP_FIELD_KIND_BOOLEAN.rawValue): return .bool(value.boolean != 0)
    case Int(AMQP_FIELD_KIND_I8.rawValue): return .integer(Int64(value.i8))
    case Int(AMQP_FIELD_KIND_U8.rawValue): return .integer(Int64(value.u8))
    case Int(AMQP_FIELD_KIND_I16.rawValue): return .integer(Int64(value.i16))
    case Int(AMQP_FIELD_KIND_U16.rawValue): return .integer(Int64(value.u16))
    case Int(AMQP_FIELD_KIND_I32.rawValue): return .integer(Int64(value.i32))
    case Int(AMQP_FIELD_KIND_U32.rawValue): return .integer(Int64(value.u32))
    case Int(AMQP_FIELD_KIND_I64.rawValue): return .integer(value.i64)
    case Int(AMQP_FIELD_KIND_U64.rawValue): return .integer(Int64(bitPattern: value.u64))
    case Int(AMQP_FIELD_KIND_TIMESTAMP.rawValue): return .integer(Int64(bitPattern: value.u64))
    case Int(AMQP_FIELD_KIND_F32.rawValue): return .double(Double(value.f32))
    case Int(AMQP_FIELD_KIND_F64.rawValue): return .double(value.f64)
    case Int(AMQP_FIELD_KIND_DECIMAL.rawValue):
      return .double(Double(value.decimal.value) / pow(10, Double(value.decimal.decimals)))
    case Int(AMQP_FIELD_KIND_UTF8.rawValue), Int(AMQP_FIELD_KIND_BYTES.rawValue): return .string(value.bytes.string)
    case Int(AMQP_FIELD_KIND_TABLE.rawValue): return .object(object(value.table))
    case Int(AMQP_FIELD_KIND_ARRAY.rawValue):
      guard value.array.num_entries > 0, let entries = value.array.entries else { return .array([]) }
      return .array((0..<Int(value.array.num_entries)).map { Self.value(entries[$0]) })
    default: return .null
    }
  }
}
