import CliplineRecords
import CliplineSystem

/// Several records' operations in one request: each copy's variables and root fields get a prefix (`r3_`), so
/// they share one document, and the response is split back into one response per record.
struct BatchedRequest {
  let items: [PreparedOperation]
  let document: String
  let variables: [String: JSONValue]
  let operationName: String?
  let label: String

  static func prefix(_ index: Int) -> String { "r\(index)_" }

  init(_ items: [PreparedOperation]) {
    precondition(!items.isEmpty)
    self.items = items
    if items.count == 1 {
      let operation = items[0].template.operation
      document = operation.document
      variables = items[0].variables
      operationName = operation.name
      label = operation.label
      return
    }
    var definitions: [String] = []
    var selections: [String] = []
    var fragments: [String] = []
    var variables: [String: JSONValue] = [:]
    for (index, item) in items.enumerated() {
      let prefix = Self.prefix(index)
      let parts = item.template.operation.prefixed(prefix)
      if !parts.variableDefinitions.isEmpty { definitions.append(parts.variableDefinitions) }
      selections.append(parts.selections)
      for fragment in item.template.operation.fragmentDefinitions where !fragments.contains(fragment) {
        fragments.append(fragment)
      }
      for (name, value) in item.variables { variables[prefix + name] = value }
    }
    let type = items[0].template.operation.type
    let header = definitions.isEmpty ? "" : "(" + definitions.joined(separator: " ") + ")"
    document = (["\(type) CliplineBatch\(header) { " + selections.joined(separator: " ") + " }"] + fragments)
      .joined(separator: "\n")
    self.variables = variables
    operationName = "CliplineBatch"
    label = "CliplineBatch (\(items.count) operations)"
  }

  /// One response per item, as if each had been sent alone: its root fields under their own keys and the errors
  /// whose path starts at one of them. Errors about the request as a whole belong to every item.
  func split(_ response: [String: JSONValue]) -> [Result<JSONValue, Error>] {
    let errors = (response["errors"]?.arrayValue ?? []).map { $0.objectValue ?? ["message": $0] }
    guard items.count > 1 else {
      let operation = items[0].template.operation.label
      if !errors.isEmpty {
        return [
          .failure(GraphQLResponseError(operation: operation, errors: errors.map { GraphQLErrorEntry(.object($0)) }))
        ]
      }
      return [.success(.object(response))]
    }
    let data = response["data"]?.objectValue
    return items.enumerated().map { index, item in
      let prefix = Self.prefix(index)
      var own: [GraphQLErrorEntry] = []
      for error in errors {
        guard let path = error["path"]?.arrayValue, let first = path.first?.stringValue else {
          own.append(GraphQLErrorEntry(.object(error)))
          continue
        }
        guard first.hasPrefix(prefix) else { continue }
        var unprefixed = error
        unprefixed["path"] = .array([.string(String(first.dropFirst(prefix.count)))] + path.dropFirst())
        own.append(GraphQLErrorEntry(.object(unprefixed)))
      }
      if own.isEmpty, data == nil, !errors.isEmpty { own = errors.map { GraphQLErrorEntry(.object($0)) } }
      let operation = item.template.operation.label
      if !own.isEmpty { return .failure(GraphQLResponseError(operation: operation, errors: own)) }
      var itemData: [String: JSONValue] = [:]
      for field in item.template.operation.rootFields {
        itemData[field.responseKey] = data?[prefix + field.responseKey]
      }
      return .success(.object(["data": .object(itemData)]))
    }
  }
}
