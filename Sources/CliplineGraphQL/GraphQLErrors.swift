import CliplineRecords
import CliplineSystem

/// One entry of a response's `errors` list.
public struct GraphQLErrorEntry: Equatable, Sendable, CustomStringConvertible {
  public let message: String
  /// The response path (`createBatchChunk`, `jobs.0.id`), or nil for errors about the request as a whole.
  public let path: String?
  public let location: String?

  init(_ value: JSONValue) {
    let object = value.objectValue ?? [:]
    message = object["message"]?.stringValue ?? JSONSerializer.string(value)
    path = object["path"]?.arrayValue.map { $0.map(\.textValue).joined(separator: ".") }
    location = object["locations"]?.arrayValue?.first?.objectValue.flatMap { location in
      guard let line = location["line"]?.integerValue, let column = location["column"]?.integerValue else {
        return nil
      }
      return "line \(line), column \(column)"
    }
  }

  init(message: String, path: String?, location: String?) {
    self.message = message
    self.path = path
    self.location = location
  }

  public var description: String {
    if let path { return "at \(path): \(message)" }
    if let location { return "in the document at \(location): \(message)" }
    return message
  }
}

/// The server answered with `errors`: the request or its data is wrong, so it is not retried (exit 65).
public struct GraphQLResponseError: Error, CustomStringConvertible, ExitStatusProviding {
  public let operation: String
  public let errors: [GraphQLErrorEntry]

  public var description: String {
    "operation \(operation) failed: " + errors.map(\.description).joined(separator: "; ")
  }

  public var exitStatus: ExitStatus { .dataError }
}

/// The answer is not a GraphQL response (no JSON object with `data` or `errors`): a proxy page, a wrong URL.
public struct GraphQLProtocolError: Error, CustomStringConvertible, ExitStatusProviding {
  public let url: String
  public let status: Int
  public let excerpt: String

  public var description: String {
    "HTTP \(status) from \(SecretRedaction.url(url)) is not a GraphQL response: \(excerpt)"
  }

  public var exitStatus: ExitStatus { .unavailable }
}
