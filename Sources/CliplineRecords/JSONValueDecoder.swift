import CliplineSystem

/// Decodes a `Decodable` straight from a `JSONValue` (the mirror of `JSONValueEncoder`), so a tool reads the few
/// fields it needs without the record being written out and parsed again. Errors are `DecodingError`s whose
/// descriptions are sentences in JSON's words ("must be a number, found a string"), which `InputError` turns
/// into the message that names the field.
public struct JSONValueDecoder {
  public init() {}

  public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
    try ValueDecoder(value: value, codingPath: []).decodeValue(type)
  }
}

private struct AnyKey: CodingKey {
  let stringValue: String
  let intValue: Int?
  init(stringValue: String) { (self.stringValue, self.intValue) = (stringValue, nil) }
  init(intValue: Int) { (self.stringValue, self.intValue) = ("\(intValue)", intValue) }
}

private struct ValueDecoder: Decoder {
  let value: JSONValue
  let codingPath: [CodingKey]
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
    if type == JSONValue.self { return value as! T }
    return try T(from: self)
  }

  func mismatch(_ type: Any.Type, expected: String) -> DecodingError {
    .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "must be \(expected), found \(value.kindName)"))
  }

  func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
    guard case .object(let object) = value else { throw mismatch([String: JSONValue].self, expected: "an object") }
    return KeyedDecodingContainer(KeyedContainer<Key>(object: object, codingPath: codingPath))
  }

  func unkeyedContainer() throws -> UnkeyedDecodingContainer {
    guard case .array(let array) = value else { throw mismatch([JSONValue].self, expected: "an array") }
    return UnkeyedContainer(array: array, codingPath: codingPath)
  }

  func singleValueContainer() throws -> SingleValueDecodingContainer { SingleContainer(decoder: self) }

  // The scalars, shared by the three containers.

  func decodeNil() -> Bool { value == .null }

  func decode(_ type: Bool.Type) throws -> Bool {
    guard case .bool(let flag) = value else { throw mismatch(type, expected: "a boolean") }
    return flag
  }

  func decode(_ type: String.Type) throws -> String {
    guard case .string(let string) = value else { throw mismatch(type, expected: "a string") }
    return string
  }

  func decodeFloatingPoint<T: BinaryFloatingPoint>(_ type: T.Type) throws -> T {
    let number: Double
    switch value {
    case .integer(let integer): number = Double(integer)
    case .double(let double): number = double
    case .number(let text):
      guard let double = Double(text), double.isFinite else { throw outOfRange(text, "a number") }
      number = double
    default: throw mismatch(type, expected: "a number")
    }
    let converted = T(number)
    guard converted.isFinite else { throw outOfRange(JSONSerializer.string(value), "a number") }
    return converted
  }

  func decodeInteger<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
    let converted: T?
    switch value {
    case .integer(let integer): converted = T(exactly: integer)
    case .double(let double):
      guard double.rounded() == double else { throw notWhole(type) }
      converted = T(exactly: double)
    case .number(let text):
      if let exact = T(text) {
        converted = exact
      } else if let double = Double(text), double.isFinite, double.rounded() == double {
        converted = T(exactly: double)
      } else if Double(text).map({ $0.isFinite }) == true {
        throw notWhole(type)
      } else {
        converted = nil
      }
    default: throw mismatch(type, expected: "a number")
    }
    guard let converted else { throw outOfRange(JSONSerializer.string(value), "a whole number") }
    return converted
  }

  func notWhole(_ type: Any.Type) -> DecodingError {
    let found = JSONSerializer.string(value)
    return .typeMismatch(
      type, .init(codingPath: codingPath, debugDescription: "must be a whole number, found \(found)"))
  }

  func outOfRange(_ text: String, _ kind: String) -> DecodingError {
    .dataCorrupted(.init(codingPath: codingPath, debugDescription: "is \(text), too large for \(kind)"))
  }

  func nested(_ value: JSONValue, _ key: CodingKey) -> ValueDecoder {
    ValueDecoder(value: value, codingPath: codingPath + [key])
  }
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
  let object: [String: JSONValue]
  let codingPath: [CodingKey]

  var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }
  func contains(_ key: Key) -> Bool { object[key.stringValue] != nil }

  private func decoder(_ key: CodingKey) throws -> ValueDecoder {
    guard let value = object[key.stringValue] else {
      throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "is missing"))
    }
    return ValueDecoder(value: value, codingPath: codingPath + [key])
  }

  private func present(_ key: Key) throws -> ValueDecoder {
    let decoder = try decoder(key)
    guard decoder.value != .null else {
      throw DecodingError.valueNotFound(Any.self, .init(codingPath: decoder.codingPath, debugDescription: "is null"))
    }
    return decoder
  }

  func decodeNil(forKey key: Key) throws -> Bool { try decoder(key).decodeNil() }
  func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try present(key).decode(type) }
  func decode(_ type: String.Type, forKey key: Key) throws -> String { try present(key).decode(type) }
  func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try present(key).decodeFloatingPoint(type) }
  func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try present(key).decodeFloatingPoint(type) }
  func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try present(key).decodeInteger(type) }
  func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try present(key).decodeInteger(type) }
  func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try present(key).decodeInteger(type) }
  func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try present(key).decodeInteger(type) }
  func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try present(key).decodeInteger(type) }
  func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try present(key).decodeInteger(type) }
  func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try present(key).decodeInteger(type) }
  func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try present(key).decodeInteger(type) }
  func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try present(key).decodeInteger(type) }
  func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try present(key).decodeInteger(type) }
  func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
    let decoder = try decoder(key)
    if decoder.value == .null, type != JSONValue.self {
      // Optional<T> never lands here (decodeIfPresent asks decodeNil first); a null for a value is missing.
      throw DecodingError.valueNotFound(type, .init(codingPath: decoder.codingPath, debugDescription: "is null"))
    }
    return try decoder.decodeValue(type)
  }

  func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
    -> KeyedDecodingContainer<NestedKey>
  { try decoder(key).container(keyedBy: type) }
  func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
    try decoder(key).unkeyedContainer()
  }
  func superDecoder() throws -> Decoder { try decoder(AnyKey(stringValue: "super")) }
  func superDecoder(forKey key: Key) throws -> Decoder { try decoder(key) }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
  let array: [JSONValue]
  let codingPath: [CodingKey]
  var currentIndex = 0

  init(array: [JSONValue], codingPath: [CodingKey]) { (self.array, self.codingPath) = (array, codingPath) }

  var count: Int? { array.count }
  var isAtEnd: Bool { currentIndex >= array.count }

  private mutating func next() throws -> ValueDecoder {
    let key = AnyKey(intValue: currentIndex)
    guard !isAtEnd else {
      throw DecodingError.valueNotFound(
        Any.self, .init(codingPath: codingPath + [key], debugDescription: "is past the end of the array"))
    }
    currentIndex += 1
    return ValueDecoder(value: array[currentIndex - 1], codingPath: codingPath + [key])
  }

  mutating func decodeNil() throws -> Bool {
    guard !isAtEnd, array[currentIndex] == .null else { return false }
    currentIndex += 1
    return true
  }
  mutating func decode(_ type: Bool.Type) throws -> Bool { try next().decode(type) }
  mutating func decode(_ type: String.Type) throws -> String { try next().decode(type) }
  mutating func decode(_ type: Double.Type) throws -> Double { try next().decodeFloatingPoint(type) }
  mutating func decode(_ type: Float.Type) throws -> Float { try next().decodeFloatingPoint(type) }
  mutating func decode(_ type: Int.Type) throws -> Int { try next().decodeInteger(type) }
  mutating func decode(_ type: Int8.Type) throws -> Int8 { try next().decodeInteger(type) }
  mutating func decode(_ type: Int16.Type) throws -> Int16 { try next().decodeInteger(type) }
  mutating func decode(_ type: Int32.Type) throws -> Int32 { try next().decodeInteger(type) }
  mutating func decode(_ type: Int64.Type) throws -> Int64 { try next().decodeInteger(type) }
  mutating func decode(_ type: UInt.Type) throws -> UInt { try next().decodeInteger(type) }
  mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next().decodeInteger(type) }
  mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next().decodeInteger(type) }
  mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next().decodeInteger(type) }
  mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next().decodeInteger(type) }
  mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decodeValue(type) }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
    -> KeyedDecodingContainer<NestedKey>
  { try next().container(keyedBy: type) }
  mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer { try next().unkeyedContainer() }
  mutating func superDecoder() throws -> Decoder { try next() }
}

private struct SingleContainer: SingleValueDecodingContainer {
  let decoder: ValueDecoder
  var codingPath: [CodingKey] { decoder.codingPath }

  func decodeNil() -> Bool { decoder.decodeNil() }
  func decode(_ type: Bool.Type) throws -> Bool { try decoder.decode(type) }
  func decode(_ type: String.Type) throws -> String { try decoder.decode(type) }
  func decode(_ type: Double.Type) throws -> Double { try decoder.decodeFloatingPoint(type) }
  func decode(_ type: Float.Type) throws -> Float { try decoder.decodeFloatingPoint(type) }
  func decode(_ type: Int.Type) throws -> Int { try decoder.decodeInteger(type) }
  func decode(_ type: Int8.Type) throws -> Int8 { try decoder.decodeInteger(type) }
  func decode(_ type: Int16.Type) throws -> Int16 { try decoder.decodeInteger(type) }
  func decode(_ type: Int32.Type) throws -> Int32 { try decoder.decodeInteger(type) }
  func decode(_ type: Int64.Type) throws -> Int64 { try decoder.decodeInteger(type) }
  func decode(_ type: UInt.Type) throws -> UInt { try decoder.decodeInteger(type) }
  func decode(_ type: UInt8.Type) throws -> UInt8 { try decoder.decodeInteger(type) }
  func decode(_ type: UInt16.Type) throws -> UInt16 { try decoder.decodeInteger(type) }
  func decode(_ type: UInt32.Type) throws -> UInt32 { try decoder.decodeInteger(type) }
  func decode(_ type: UInt64.Type) throws -> UInt64 { try decoder.decodeInteger(type) }
  func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decodeValue(type) }
}
