import CliplineSystem

/// Encodes an `Encodable` straight into a `JSONValue`, so a tool's output fields merge into a record
/// without a round trip through text (and a `Double` stays a double: `60.0`, not `60`).
public struct JSONValueEncoder {
  public init() {}

  public func encode<T: Encodable>(_ value: T) throws -> JSONValue {
    let encoder = ValueEncoder(codingPath: [])
    try value.encode(to: encoder)
    return encoder.storage.value ?? .object([:])
  }
}

/// Where an encoder's value lands; shared by reference so nested containers write into their parent.
private final class ValueBox {
  var value: JSONValue?
  init(_ value: JSONValue? = nil) { self.value = value }
}

private final class ValueEncoder: Encoder {
  let codingPath: [CodingKey]
  let userInfo: [CodingUserInfoKey: Any] = [:]
  let storage = ValueBox()

  init(codingPath: [CodingKey]) { self.codingPath = codingPath }

  func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
    if storage.value == nil { storage.value = .object([:]) }
    return KeyedEncodingContainer(KeyedContainer<Key>(box: storage, codingPath: codingPath))
  }

  func unkeyedContainer() -> UnkeyedEncodingContainer {
    if storage.value == nil { storage.value = .array([]) }
    return UnkeyedContainer(box: storage, codingPath: codingPath)
  }

  func singleValueContainer() -> SingleValueEncodingContainer {
    SingleContainer(box: storage, codingPath: codingPath)
  }
}

private func encodeNested<T: Encodable>(_ value: T, codingPath: [CodingKey]) throws -> JSONValue {
  if let json = value as? JSONValue { return json }
  let encoder = ValueEncoder(codingPath: codingPath)
  try value.encode(to: encoder)
  return encoder.storage.value ?? .null
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
  let box: ValueBox
  let codingPath: [CodingKey]

  private func set(_ value: JSONValue, for key: Key) {
    guard case .object(var object) = box.value else { return }
    object[key.stringValue] = value
    box.value = .object(object)
  }

  mutating func encodeNil(forKey key: Key) throws { set(.null, for: key) }
  mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), for: key) }
  mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), for: key) }
  mutating func encode(_ value: Double, forKey key: Key) throws { set(.double(value), for: key) }
  mutating func encode(_ value: Float, forKey key: Key) throws { set(.double(Double(value)), for: key) }
  mutating func encode(_ value: Int, forKey key: Key) throws { set(.integer(Int64(value)), for: key) }
  mutating func encode(_ value: Int64, forKey key: Key) throws { set(.integer(value), for: key) }
  mutating func encode(_ value: Int32, forKey key: Key) throws { set(.integer(Int64(value)), for: key) }
  mutating func encode(_ value: UInt64, forKey key: Key) throws { set(.integer(Int64(clamping: value)), for: key) }
  mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
    set(try encodeNested(value, codingPath: codingPath + [key]), for: key)
  }
  mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
    if let value { try encode(value, forKey: key) }
  }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
    -> KeyedEncodingContainer<NestedKey>
  {
    let nested = ValueBox(.object([:]))
    defer { set(nested.value!, for: key) }
    return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: nested, codingPath: codingPath + [key]))
  }

  mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
    let nested = ValueBox(.array([]))
    defer { set(nested.value!, for: key) }
    return UnkeyedContainer(box: nested, codingPath: codingPath + [key])
  }

  mutating func superEncoder() -> Encoder { ValueEncoder(codingPath: codingPath) }
  mutating func superEncoder(forKey key: Key) -> Encoder { ValueEncoder(codingPath: codingPath + [key]) }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
  let box: ValueBox
  let codingPath: [CodingKey]
  var count: Int {
    if case .array(let array) = box.value { return array.count }
    return 0
  }

  private func append(_ value: JSONValue) {
    guard case .array(var array) = box.value else { return }
    array.append(value)
    box.value = .array(array)
  }

  mutating func encodeNil() throws { append(.null) }
  mutating func encode(_ value: Bool) throws { append(.bool(value)) }
  mutating func encode(_ value: String) throws { append(.string(value)) }
  mutating func encode(_ value: Double) throws { append(.double(value)) }
  mutating func encode(_ value: Int) throws { append(.integer(Int64(value))) }
  mutating func encode(_ value: Int64) throws { append(.integer(value)) }
  mutating func encode<T: Encodable>(_ value: T) throws { append(try encodeNested(value, codingPath: codingPath)) }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
    -> KeyedEncodingContainer<NestedKey>
  {
    let encoder = ValueEncoder(codingPath: codingPath)
    let container = encoder.container(keyedBy: keyType)
    append(encoder.storage.value!)
    return container
  }

  mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
    ValueEncoder(codingPath: codingPath).unkeyedContainer()
  }

  mutating func superEncoder() -> Encoder { ValueEncoder(codingPath: codingPath) }
}

private struct SingleContainer: SingleValueEncodingContainer {
  let box: ValueBox
  let codingPath: [CodingKey]

  mutating func encodeNil() throws { box.value = .null }
  mutating func encode(_ value: Bool) throws { box.value = .bool(value) }
  mutating func encode(_ value: String) throws { box.value = .string(value) }
  mutating func encode(_ value: Double) throws { box.value = .double(value) }
  mutating func encode(_ value: Float) throws { box.value = .double(Double(value)) }
  mutating func encode(_ value: Int) throws { box.value = .integer(Int64(value)) }
  mutating func encode(_ value: Int64) throws { box.value = .integer(value) }
  mutating func encode(_ value: Int32) throws { box.value = .integer(Int64(value)) }
  mutating func encode(_ value: UInt64) throws { box.value = .integer(Int64(clamping: value)) }
  mutating func encode<T: Encodable>(_ value: T) throws { box.value = try encodeNested(value, codingPath: codingPath) }
}

extension JSONValue: Codable {
  public init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let b = try? container.decode(Bool.self) {
      self = .bool(b)
    } else if let i = try? container.decode(Int64.self) {
      self = .integer(i)
    } else if let d = try? container.decode(Double.self) {
      self = .double(d)
    } else if let s = try? container.decode(String.self) {
      self = .string(s)
    } else if let a = try? container.decode([JSONValue].self) {
      self = .array(a)
    } else {
      self = .object(try container.decode([String: JSONValue].self))
    }
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .null: try container.encodeNil()
    case .bool(let b): try container.encode(b)
    case .integer(let i): try container.encode(i)
    case .double(let d): try container.encode(d)
    case .number(let text):
      // Another encoder has no way to write a number's text: the nearest double, else the text as a string.
      if let d = Double(text), d.isFinite { try container.encode(d) } else { try container.encode(text) }
    case .string(let s): try container.encode(s)
    case .array(let a): try container.encode(a)
    case .object(let o): try container.encode(o)
    }
  }
}
