import CliplineRecords
import CliplineSystem

/// One GraphQL operation as `gql-mutate` sends it: its type, name, variables and root fields, read from the
/// document so that missing variables are caught before sending and several operations can share one request.
public struct GraphQLOperation: Equatable, Sendable {
  public struct VariableDefinition: Equatable, Sendable {
    public let name: String
    /// The type as written, e.g. `CreateBatchChunkInput!`.
    public let type: String
    public let hasDefault: Bool
    /// Non-null without a default: the request fails unless a value is given.
    public var isRequired: Bool { type.hasSuffix("!") && !hasDefault }
  }

  /// A field at the root of the operation; its result sits under `responseKey` in `data`.
  public struct RootField: Equatable, Sendable {
    public let name: String
    public let alias: String?
    public var responseKey: String { alias ?? name }
  }

  /// The document exactly as given: what a single operation sends.
  public let document: String
  /// `query`, `mutation` or `subscription`.
  public let type: String
  public let name: String?
  public let variables: [VariableDefinition]
  public let rootFields: [RootField]
  /// Whether a fragment definition uses a variable (such a document cannot be batched: fragments are shared).
  public let fragmentsUseVariables: Bool

  private let variableDefinitionTokens: [[GraphQLToken]]
  private let rootSelectionTokens: [[GraphQLToken]]
  private let rootFieldIndex: [Int?]
  private let fragmentTokens: [[GraphQLToken]]

  /// Reads a document holding exactly one operation (and any fragments it uses).
  public init(_ document: String) throws {
    self.document = document
    var parser = Parser(tokens: try GraphQLLexer.tokens(document))
    var operation: Parser.Operation?
    var fragments: [[GraphQLToken]] = []
    var fragmentsUseVariables = false
    while !parser.isAtEnd {
      if parser.peek()?.isName("fragment") == true {
        let fragment = try parser.skipDefinition()
        fragmentsUseVariables = fragmentsUseVariables || fragment.contains { $0.isPunctuator("$") }
        fragments.append(fragment)
      } else {
        guard operation == nil else {
          throw OperationSyntaxError("the document holds more than one operation; keep one per document")
        }
        operation = try parser.operation()
      }
    }
    guard let operation else { throw OperationSyntaxError("the document holds no operation") }
    type = operation.type
    name = operation.name
    variables = operation.variables.map(\.definition)
    variableDefinitionTokens = operation.variables.map(\.tokens)
    rootSelectionTokens = operation.selections.map(\.tokens)
    rootFieldIndex = operation.selections.map(\.fieldIndex)
    rootFields = operation.selections.compactMap(\.field)
    fragmentTokens = fragments
    self.fragmentsUseVariables = fragmentsUseVariables
  }

  /// What error messages call this operation: its name, else its root fields.
  public var label: String { name ?? rootFields.map(\.name).joined(separator: "+") }

  public func variable(named name: String) -> VariableDefinition? { variables.first { $0.name == name } }

  /// Whether the root holds fragment spreads or inline fragments (their fields cannot be given aliases).
  var hasRootFragments: Bool { rootFieldIndex.contains(nil) }

  /// This operation's parts renamed with `prefix` so that several copies share one document: variables become
  /// `$<prefix><name>`, root fields answer under `<prefix><responseKey>`.
  func prefixed(_ prefix: String) -> (variableDefinitions: String, selections: String) {
    func rename(_ tokens: [GraphQLToken]) -> [GraphQLToken] {
      var out: [GraphQLToken] = []
      var afterDollar = false
      for token in tokens {
        if afterDollar, token.kind == .name {
          out.append(GraphQLToken(kind: .name, text: prefix + token.text, line: token.line))
        } else {
          out.append(token)
        }
        afterDollar = token.isPunctuator("$")
      }
      return out
    }
    let definitions = variableDefinitionTokens.map { GraphQLLexer.render(rename($0)) }.joined(separator: " ")
    let selections = rootSelectionTokens.map { tokens -> String in
      // A field `alias: name …` or `name …` becomes `<prefix>key: name …`.
      var renamed = rename(tokens)
      if renamed.count > 1, renamed[1].isPunctuator(":") {
        renamed[0] = GraphQLToken(kind: .name, text: prefix + renamed[0].text, line: renamed[0].line)
      } else if let first = renamed.first, first.kind == .name {
        renamed.insert(
          contentsOf: [
            GraphQLToken(kind: .name, text: prefix + first.text, line: first.line),
            GraphQLToken(kind: .punctuator, text: ":", line: first.line),
          ], at: 0)
      }
      return GraphQLLexer.render(renamed)
    }.joined(separator: " ")
    return (definitions, selections)
  }

  /// The fragment definitions, as text, for a batched document (each written once).
  var fragmentDefinitions: [String] { fragmentTokens.map { GraphQLLexer.render($0) } }
}

/// The operation could not be read; the tool reports it as a usage error.
public struct OperationSyntaxError: Error, CustomStringConvertible, ExitStatusProviding {
  public let reason: String
  init(_ reason: String) { self.reason = reason }
  public var description: String { "the GraphQL operation cannot be read: \(reason)" }
  public var exitStatus: ExitStatus { .usage }
}

/// A recursive-descent reader of the GraphQL grammar, just deep enough for operation headers and root fields.
private struct Parser {
  struct Variable {
    let definition: GraphQLOperation.VariableDefinition
    let tokens: [GraphQLToken]
  }

  struct Selection {
    let tokens: [GraphQLToken]
    let field: GraphQLOperation.RootField?
    let fieldIndex: Int?
  }

  struct Operation {
    var type = "query"
    var name: String?
    var variables: [Variable] = []
    var selections: [Selection] = []
  }

  let tokens: [GraphQLToken]
  var index = 0

  init(tokens: [GraphQLToken]) { self.tokens = tokens }

  var isAtEnd: Bool { index >= tokens.count }
  func peek(_ offset: Int = 0) -> GraphQLToken? { index + offset < tokens.count ? tokens[index + offset] : nil }

  mutating func next() throws -> GraphQLToken {
    guard let token = peek() else { throw OperationSyntaxError("the document ends too early") }
    index += 1
    return token
  }

  mutating func expect(_ punctuator: String) throws {
    let token = try next()
    guard token.isPunctuator(punctuator) else {
      throw OperationSyntaxError("expected \"\(punctuator)\" on line \(token.line), found \(quoted(token.text))")
    }
  }

  mutating func name() throws -> String {
    let token = try next()
    guard token.kind == .name else {
      throw OperationSyntaxError("expected a name on line \(token.line), found \(quoted(token.text))")
    }
    return token.text
  }

  /// Skips a bracketed group (`(…)`, `[…]`, `{…}`) starting at the current token, returning its tokens.
  mutating func balanced() throws -> [GraphQLToken] {
    let start = index
    var depth = 0
    repeat {
      let token = try next()
      if token.kind == .punctuator {
        if ["(", "[", "{"].contains(token.text) { depth += 1 }
        if [")", "]", "}"].contains(token.text) { depth -= 1 }
      }
    } while depth > 0
    return Array(tokens[start..<index])
  }

  /// A `fragment` definition, as tokens: everything up to the end of its selection set.
  mutating func skipDefinition() throws -> [GraphQLToken] {
    let start = index
    while let token = peek(), !token.isPunctuator("{") { index += 1 }
    _ = try balanced()
    return Array(tokens[start..<index])
  }

  mutating func directives() throws {
    while peek()?.isPunctuator("@") == true {
      index += 1
      _ = try name()
      if peek()?.isPunctuator("(") == true { _ = try balanced() }
    }
  }

  mutating func operation() throws -> Operation {
    var operation = Operation()
    if let first = peek(), first.kind == .name {
      guard ["query", "mutation", "subscription"].contains(first.text) else {
        throw OperationSyntaxError(
          "expected query, mutation or fragment on line \(first.line), found \(quoted(first.text))")
      }
      operation.type = first.text
      index += 1
      if peek()?.kind == .name { operation.name = try name() }
      if peek()?.isPunctuator("(") == true {
        index += 1
        while peek()?.isPunctuator(")") == false { operation.variables.append(try variable()) }
        try expect(")")
      }
      try directives()
    }
    try expect("{")
    while let token = peek(), !token.isPunctuator("}") {
      operation.selections.append(try selection(fieldIndex: operation.selections.count))
    }
    try expect("}")
    return operation
  }

  mutating func variable() throws -> Variable {
    let start = index
    try expect("$")
    let variableName = try name()
    try expect(":")
    let typeStart = index
    if peek()?.isPunctuator("[") == true { _ = try balanced() } else { _ = try name() }
    if peek()?.isPunctuator("!") == true { index += 1 }
    let type = tokens[typeStart..<index].map(\.text).joined()
    var hasDefault = false
    if peek()?.isPunctuator("=") == true {
      hasDefault = true
      index += 1
      if let token = peek(), ["(", "[", "{"].contains(token.text), token.kind == .punctuator {
        _ = try balanced()
      } else {
        _ = try next()
      }
    }
    try directives()
    return Variable(
      definition: .init(name: variableName, type: type, hasDefault: hasDefault), tokens: Array(tokens[start..<index]))
  }

  mutating func selection(fieldIndex: Int) throws -> Selection {
    let start = index
    if peek()?.isPunctuator("...") == true {
      index += 1
      if peek()?.isName("on") == true {
        index += 1
        _ = try name()
      } else if peek()?.kind == .name {
        _ = try name()
        try directives()
        return Selection(tokens: Array(tokens[start..<index]), field: nil, fieldIndex: nil)
      }
      try directives()
      _ = try balanced()
      return Selection(tokens: Array(tokens[start..<index]), field: nil, fieldIndex: nil)
    }
    var fieldName = try name()
    var alias: String?
    if peek()?.isPunctuator(":") == true {
      index += 1
      alias = fieldName
      fieldName = try name()
    }
    if peek()?.isPunctuator("(") == true { _ = try balanced() }
    try directives()
    if peek()?.isPunctuator("{") == true { _ = try balanced() }
    return Selection(
      tokens: Array(tokens[start..<index]), field: .init(name: fieldName, alias: alias), fieldIndex: fieldIndex)
  }
}
