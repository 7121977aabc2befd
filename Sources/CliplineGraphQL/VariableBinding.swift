import CliplineRecords
import CliplineSystem
import Foundation

/// Where one GraphQL variable (or a field inside an input-object variable) gets its value:
/// `name=field.path` (from the record), `name=field.path // JSON` (a default when the field is missing or null),
/// `name:=JSON` (a literal). A dotted name (`input.chunkHash`) builds nested input objects.
public struct VariableBinding: Equatable, Sendable, CustomStringConvertible {
  public enum Source: Equatable, Sendable {
    case field(path: String, default: JSONValue?)
    case literal(JSONValue)
  }

  /// The variable name, then the input-object fields below it.
  public let target: [String]
  public let source: Source

  public init(target: [String], source: Source) {
    self.target = target
    self.source = source
  }

  /// The variable this binding feeds (`input` for `input.chunkHash`).
  public var variable: String { target[0] }

  public var description: String {
    let name = target.joined(separator: ".")
    switch source {
    case .literal(let value): return "\(name):=\(JSONSerializer.string(value))"
    case .field(let path, nil): return "\(name)=\(path)"
    case .field(let path, let fallback?): return "\(name)=\(path) // \(JSONSerializer.string(fallback))"
    }
  }

  /// Reads `--var` text; a malformed one is a usage error saying how to write it.
  public init(parsing text: String) throws {
    func usage(_ reason: String) -> BindingSyntaxError {
      BindingSyntaxError(
        "--var \"\(text)\": \(reason); write name=field.path, name=field.path // DEFAULT_JSON or name:=JSON")
    }
    guard let equals = text.firstIndex(of: "=") else { throw usage("no \"=\"") }
    var name = String(text[..<equals])
    var value = String(text[text.index(after: equals)...])
    let isLiteral = name.hasSuffix(":")
    if isLiteral { name.removeLast() }
    name = name.trimmingCharacters(in: .whitespaces)
    let target = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    guard !name.isEmpty, target.allSatisfy(Self.isGraphQLName) else {
      throw usage("\"\(name)\" is not a GraphQL name (letters, digits, _; dots for input fields)")
    }
    if isLiteral {
      guard let literal = try? JSONParser.parse(Array(value.utf8)) else { throw usage("the value is not JSON") }
      self.init(target: target, source: .literal(literal))
      return
    }
    var fallback: JSONValue?
    if let slashes = value.range(of: "//") {
      let fallbackText = value[slashes.upperBound...].trimmingCharacters(in: .whitespaces)
      guard let parsed = try? JSONParser.parse(Array(fallbackText.utf8)) else {
        throw usage("the default after \"//\" is not JSON (strings need quotes)")
      }
      fallback = parsed
      value = String(value[..<slashes.lowerBound])
    }
    let path = value.trimmingCharacters(in: .whitespaces)
    guard !path.isEmpty else { throw usage("no field path after \"=\"") }
    self.init(target: target, source: .field(path: path, default: fallback))
  }

  static func isGraphQLName(_ text: String) -> Bool {
    guard let first = text.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
    return text.unicodeScalars.allSatisfy {
      $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
    }
  }

  /// The value this binding gives for `record`; a missing field without a default names itself.
  func value(in record: Record) throws -> JSONValue {
    switch source {
    case .literal(let value): return value
    case .field(let path, let fallback):
      let found = record.value(at: path)
      if let fallback, found == nil || found == .null { return fallback }
      guard let found else { throw MissingVariableField(field: path, variable: "$" + target.joined(separator: ".")) }
      return found
    }
  }

  /// The variables object for one record: every binding's value placed at its target.
  public static func variables(for record: Record, bindings: [VariableBinding]) throws -> [String: JSONValue] {
    var variables: JSONValue = .object([:])
    for binding in bindings {
      try place(binding.value(in: record), at: binding.target[...], into: &variables, binding: binding)
    }
    return variables.objectValue ?? [:]
  }

  private static func place(
    _ value: JSONValue, at path: ArraySlice<String>, into container: inout JSONValue, binding: VariableBinding
  ) throws {
    guard case .object(var object) = container else {
      throw BindingSyntaxError("--var \(binding): \"\(path.first ?? "")\" is inside a value that is not an object")
    }
    let key = path.first!
    if path.count == 1 {
      object[key] = value
    } else {
      var child = object[key] ?? .object([:])
      try place(value, at: path.dropFirst(), into: &child, binding: binding)
      object[key] = child
    }
    container = .object(object)
  }
}

/// A `--var`, `--merge` or `--field` that cannot be read: a usage error.
public struct BindingSyntaxError: Error, CustomStringConvertible, ExitStatusProviding {
  public let description: String
  init(_ description: String) { self.description = description }
  public var exitStatus: ExitStatus { .usage }
}

/// A record lacks the field a variable is taken from: caught before anything is sent (exit 65).
public struct MissingVariableField: Error, CustomStringConvertible, ExitStatusProviding {
  public let field: String
  public let variable: String
  public var description: String { "field \"\(field)\" is missing (it gives the variable \(variable))" }
  public var exitStatus: ExitStatus { .dataError }
}
