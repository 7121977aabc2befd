import CliplineSystem
import Foundation

/// One NDJSON record: an open JSON object. Tools read the fields they need and merge in the ones they add;
/// every other field passes through untouched.
public struct Record: Equatable, Sendable {
  public var fields: [String: JSONValue]

  public init(_ fields: [String: JSONValue] = [:]) { self.fields = fields }

  /// Parses one line; anything but a JSON object is `InputError.notAnObject`.
  public init<Bytes: Collection>(line: Bytes) throws where Bytes.Element == UInt8 {
    let value: JSONValue
    do {
      value = try JSONParser.parse(line)
    } catch let error as JSONParseError {
      throw InputError.notAnObject(reason: error.description)
    }
    guard case .object(let object) = value else {
      throw InputError.notAnObject(reason: "found \(value.kindName)")
    }
    self.fields = object
  }

  public init(json: String) throws { try self.init(line: Array(json.utf8)) }

  public subscript(key: String) -> JSONValue? {
    get { fields[key] }
    set { fields[key] = newValue }
  }

  /// A value by dotted path (`video_preprocessing.fps`).
  public func value(at path: String) -> JSONValue? {
    var current: JSONValue = .object(fields)
    for component in path.split(separator: ".", omittingEmptySubsequences: false) {
      guard case .object(let object) = current, let next = object[String(component)] else { return nil }
      current = next
    }
    return current
  }

  /// A string field, or the error that names it.
  public func requireString(_ field: String) throws -> String {
    guard let value = value(at: field) else { throw InputError.missingField(field) }
    guard case .string(let string) = value else {
      throw InputError.invalidField(field, reason: "must be a string, found \(value.kindName)")
    }
    return string
  }

  /// Decodes the fields a tool reads into its own `Decodable` view of the record.
  public func decode<T: Decodable>(_ type: T.Type) throws -> T {
    do {
      return try JSONValueDecoder().decode(type, from: .object(fields))
    } catch let error as DecodingError {
      throw InputError(error)
    }
  }

  /// Adds or overwrites the fields of an `Encodable` (a tool's own output fields).
  public mutating func merge<T: Encodable>(_ value: T) throws {
    guard case .object(let object) = try JSONValueEncoder().encode(value) else { return }
    fields.merge(object) { _, new in new }
  }

  public func merging<T: Encodable>(_ value: T) throws -> Record {
    var copy = self
    try copy.merge(value)
    return copy
  }

  /// Compact, sorted keys, newline-terminated: what goes to stdout.
  public var jsonLine: [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(512)
    JSONSerializer.write(.object(fields), into: &bytes)
    bytes.append(0x0A)
    return bytes
  }

  public var jsonText: String { JSONSerializer.string(.object(fields)) }
}

extension InputError {
  /// Turns decoding errors into a sentence that names the field. `JSONValueDecoder`'s descriptions are already
  /// sentences in JSON's words; a type mismatch from elsewhere is named by the JSON kind the type stands for.
  init(_ error: DecodingError) {
    func path(_ context: DecodingError.Context, _ key: CodingKey? = nil) -> String {
      let keys = context.codingPath + (key.map { [$0] } ?? [])
      return keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        .replacingOccurrences(of: ".[", with: "[")
    }
    switch error {
    case .keyNotFound(let key, let context):
      self = .missingField(path(context, key))
    case .valueNotFound(_, let context):
      self = .missingField(path(context))
    case .typeMismatch(let type, let context):
      let reason =
        context.debugDescription.hasPrefix("must be ") ? context.debugDescription : "must be \(Self.kind(of: type))"
      self = .invalidField(path(context), reason: reason)
    case .dataCorrupted(let context):
      self = .invalidField(path(context), reason: context.debugDescription)
    @unknown default:
      self = .notAnObject(reason: "\(error)")
    }
  }

  private static func kind(of type: Any.Type) -> String {
    switch type {
    case is String.Type: return "a string"
    case is Double.Type, is Float.Type, is Int.Type, is Int64.Type, is Int32.Type: return "a number"
    case is Bool.Type: return "a boolean"
    default:
      let name = String(describing: type)
      if name.hasPrefix("Dictionary") || name.hasPrefix("[") && name.contains(":") { return "an object" }
      if name.hasPrefix("Array") || name.hasPrefix("[") { return "an array" }
      return "a value of another kind"
    }
  }
}
