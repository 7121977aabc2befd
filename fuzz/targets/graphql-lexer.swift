// The GraphQL lexer: any text as a document. Tokens rendered back to text lex to the same tokens.
@testable import CliplineGraphQL

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  guard let tokens = try? GraphQLLexer.tokens(text) else { return 0 }
  let rendered = GraphQLLexer.render(tokens)
  guard let again = try? GraphQLLexer.tokens(rendered) else { fatalError("rendered tokens do not lex: \(rendered)") }
  if again.map(\.text) != tokens.map(\.text) { fatalError("tokens changed in a round trip: \(rendered)") }
  _ = try? GraphQLOperation(text)
  return 0
}
