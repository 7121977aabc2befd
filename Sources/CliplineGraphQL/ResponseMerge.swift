import CliplineRecords
import CliplineSystem

/// `--merge field=data.path`: a value from the operation's response copied into the record as `field`.
/// Path components are object keys or array indexes (`data.jobs.0.id`); the leading `data.` may be left out.
public struct MergeRule: Equatable, Sendable, CustomStringConvertible {
  public let field: String
  public let path: [String]

  public init(field: String, path: String) {
    self.field = field
    var components = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    if components.first != "data" { components.insert("data", at: 0) }
    self.path = components
  }

  public init(parsing text: String) throws {
    guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
      throw BindingSyntaxError("--merge \"\(text)\": write field=data.path (e.g. job_id=data.createJob.id)")
    }
    let path = String(text[text.index(after: equals)...])
    guard !path.isEmpty, !path.split(separator: ".", omittingEmptySubsequences: false).contains("") else {
      throw BindingSyntaxError("--merge \"\(text)\": \"\(path)\" is not a dotted path like data.createJob.id")
    }
    self.init(field: String(text[..<equals]), path: path)
  }

  public var description: String { "\(field)=\(path.joined(separator: "."))" }

  /// The value at this rule's path in a response, or an error naming the path that is not there.
  func value(in response: JSONValue, operation: String) throws -> JSONValue {
    var current = response
    for component in path {
      switch current {
      case .object(let object) where object[component] != nil:
        current = object[component]!
      case .array(let array) where Int(component).map(array.indices.contains) == true:
        current = array[Int(component)!]
      default:
        throw MissingResponseValue(operation: operation, path: path.joined(separator: "."), rule: description)
      }
    }
    return current
  }
}

/// The response lacks a value `--merge` asked for: the operation or the rule does not match the schema.
public struct MissingResponseValue: Error, CustomStringConvertible, ExitStatusProviding {
  public let operation: String
  public let path: String
  public let rule: String
  public var description: String {
    "operation \(operation): the response has no value at \(path) (asked for by --merge \(rule))"
  }
  public var exitStatus: ExitStatus { .dataError }
}
