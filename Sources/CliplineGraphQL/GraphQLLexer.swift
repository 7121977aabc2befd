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
    let scalars = Array(source.unicodeScalars)
    var tokens: [GraphQLToken] = []
    var index = 0
    var line = 1

    func peek(_ offset: Int = 0) -> Unicode.Scalar? {
      index + offset < scalars.count ? scalars[index + offset] : nil
    }
    func text(_ range: Range<Int>) -> String {
      var out = String.UnicodeScalarView()
      out.append(contentsOf: scalars[range])
      return String(out)
    }
    func isNameStart(_ c: Unicode.Scalar) -> Bool { c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
    func isNameContinue(_ c: Unicode.Scalar) -> Bool { isNameStart(c) || ("0"..."9").contains(c) }

    while let c = peek() {
      switch c {
      case "\n":
        line += 1
        index += 1
      case " ", "\t", "\r", ",", "\u{FEFF}":
        index += 1
      case "#":
        while let next = peek(), next != "\n" { index += 1 }
      case "!", "$", "&", "(", ")", ":", "=", "@", "[", "]", "{", "|", "}":
        tokens.append(GraphQLToken(kind: .punctuator, text: String(c), line: line))
        index += 1
      case ".":
        guard peek(1) == ".", peek(2) == "." else { throw OperationSyntaxError("a lone \".\" on line \(line)") }
        tokens.append(GraphQLToken(kind: .punctuator, text: "...", line: line))
        index += 3
      case "\"":
        let start = index
        let startLine = line
        if peek(1) == "\"", peek(2) == "\"" {
          index += 3
          while true {
            guard let next = peek() else {
              throw OperationSyntaxError("a block string from line \(startLine) never ends")
            }
            if next == "\\", peek(1) == "\"", peek(2) == "\"", peek(3) == "\"" {
              index += 4
            } else if next == "\"", peek(1) == "\"", peek(2) == "\"" {
              index += 3
              break
            } else {
              if next == "\n" { line += 1 }
              index += 1
            }
          }
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
        tokens.append(GraphQLToken(kind: .string, text: text(start..<index), line: startLine))
      case "-", "0"..."9":
        let start = index
        index += 1
        while let next = peek(),
          ("0"..."9").contains(next) || next == "." || next == "e" || next == "E"
            || next == "+" || next == "-"
        {
          index += 1
        }
        tokens.append(GraphQLToken(kind: .number, text: text(start..<index), line: line))
      default:
        guard isNameStart(c) else {
          throw OperationSyntaxError("unexpected character \(quoted(String(c))) on line \(line)")
        }
        let start = index
        while let next = peek(), isNameContinue(next) { index += 1 }
        tokens.append(GraphQLToken(kind: .name, text: text(start..<index), line: line))
      }
    }
    return tokens
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
