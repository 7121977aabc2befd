import CliplineSystem

/// GraphQL source text as tokens (names, punctuators, numbers, strings): enough to read an operation's variable
/// definitions and root fields, and to rename them when several operations travel in one request.
struct GraphQLToken: Equatable {
  enum Kind: Equatable {
    case name, punctuator, number, string
  }

  let kind: Kind
  /// The token exactly as written (a string keeps its quotes and escapes).
  let text: String
  let line: Int

  func isPunctuator(_ text: String) -> Bool { kind == .punctuator && self.text == text }
  func isName(_ text: String) -> Bool { kind == .name && self.text == text }
}

enum GraphQLLexer {
  /// Splits a document into tokens; commas, whitespace and comments are insignificant in GraphQL and dropped.
  static func tokens(_ source: String) throws -> [GraphQLToken] {
    var scanner = Scanner(Array(source.unicodeScalars))
    var tokens: [GraphQLToken] = []
    while let c = scanner.peek() {
      switch c {
      case "\n":
        scanner.line += 1
        scanner.index += 1
      case " ", "\t", "\r", ",", "\u{FEFF}":
        scanner.index += 1
      case "#":
        while let next = scanner.peek(), next != "\n" { scanner.index += 1 }
      case "!", "$", "&", "(", ")", ":", "=", "@", "[", "]", "{", "|", "}":
        tokens.append(GraphQLToken(kind: .punctuator, text: String(c), line: scanner.line))
        scanner.index += 1
      case ".":
        guard scanner.peek(1) == ".", scanner.peek(2) == "." else {
          throw OperationSyntaxError("a lone \".\" on line \(scanner.line)")
        }
        tokens.append(GraphQLToken(kind: .punctuator, text: "...", line: scanner.line))
        scanner.index += 3
      case "\"":
        tokens.append(try scanner.string())
      case "-", "0"..."9":
        tokens.append(scanner.number())
      default:
        tokens.append(try scanner.name())
      }
    }
    return tokens
  }

  /// A position in the source's scalars, and its line.
  private struct Scanner {
    let scalars: [Unicode.Scalar]
    var index = 0
    var line = 1

    init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

    func peek(_ offset: Int = 0) -> Unicode.Scalar? {
      index + offset < scalars.count ? scalars[index + offset] : nil
    }

    func text(_ range: Range<Int>) -> String {
      var out = String.UnicodeScalarView()
      out.append(contentsOf: scalars[range])
      return String(out)
    }

    /// A string, block (`"""`) or single-line, kept as written.
    mutating func string() throws -> GraphQLToken {
      let (start, startLine) = (index, line)
      if peek(1) == "\"", peek(2) == "\"" {
        try skipBlockString()
      } else {
        index += 1
        while true {
          guard let next = peek(), next != "\n" else {
            throw OperationSyntaxError("a string on line \(startLine) never ends")
          }
          index += next == "\\" ? 2 : 1
          if next == "\"" { break }
        }
      }
      return GraphQLToken(kind: .string, text: text(start..<index), line: startLine)
    }

    private mutating func skipBlockString() throws {
      let startLine = line
      index += 3
      while true {
        guard let next = peek() else { throw OperationSyntaxError("a block string from line \(startLine) never ends") }
        if next == "\\", peek(1) == "\"", peek(2) == "\"", peek(3) == "\"" {
          index += 4
        } else if next == "\"", peek(1) == "\"", peek(2) == "\"" {
          index += 3
          return
        } else {
          if next == "\n" { line += 1 }
          index += 1
        }
      }
    }

    mutating func number() -> GraphQLToken {
      let start = index
      index += 1
      while let next = peek(),
        ("0"..."9").contains(next) || next == "." || next == "e" || next == "E" || next == "+" || next == "-"
      {
        index += 1
      }
      return GraphQLToken(kind: .number, text: text(start..<index), line: line)
    }

    mutating func name() throws -> GraphQLToken {
      func isNameStart(_ c: Unicode.Scalar) -> Bool { c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
      let c = peek() ?? " "
      guard isNameStart(c) else {
        throw OperationSyntaxError("unexpected character \(quoted(String(c))) on line \(line)")
      }
      let start = index
      while let next = peek(), isNameStart(next) || ("0"..."9").contains(next) { index += 1 }
      return GraphQLToken(kind: .name, text: text(start..<index), line: line)
    }
  }

  /// Tokens back to text; a space between every two keeps names apart and is valid GraphQL.
  static func render(_ tokens: some Sequence<GraphQLToken>) -> String {
    var out = ""
    var previous: GraphQLToken?
    for token in tokens {
      if let previous, !previous.isPunctuator("$") { out.append(" ") }
      out.append(token.text)
      previous = token
    }
    return out
  }
}
