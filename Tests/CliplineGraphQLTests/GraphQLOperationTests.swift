import CliplineRecords
import CliplineSystem
import XCTest

@testable import CliplineGraphQL

/// Reading operations and renaming them for batches, without a server.
final class GraphQLOperationTests: XCTestCase {
  func testReadsVariablesAndRootFields() throws {
    let operation = try GraphQLOperation(
      """
      # a comment with { braces }
      mutation Save($input: CreateBatchChunkInput!, $tags: [String!] = ["a", "b"], $note: String) @audit {
        saved: createBatchChunk(input: $input) @include(if: true) { id ...Rest }
        __typename
      }
      fragment Rest on BatchChunk { chunkHash description: cloudPath }
      """)
    XCTAssertEqual(operation.type, "mutation")
    XCTAssertEqual(operation.name, "Save")
    XCTAssertEqual(operation.variables.map(\.name), ["input", "tags", "note"])
    XCTAssertEqual(operation.variables.map(\.type), ["CreateBatchChunkInput!", "[String!]", "String"])
    XCTAssertEqual(operation.variables.map(\.isRequired), [true, false, false])
    XCTAssertEqual(operation.rootFields.map(\.responseKey), ["saved", "__typename"])
    XCTAssertEqual(operation.rootFields.map(\.name), ["createBatchChunk", "__typename"])
    XCTAssertFalse(operation.fragmentsUseVariables)
    XCTAssertFalse(operation.hasRootFragments)
  }

  func testPrefixedCopyRenamesVariablesAndAliasesRootFields() throws {
    let operation = try GraphQLOperation(
      #"mutation($input: In!, $s: String = "x, y") { saved: create(input: $input, s: $s) { id } other(a: "$input") }"#)
    let parts = operation.prefixed("r2_")
    XCTAssertEqual(parts.variableDefinitions, #"$r2_input : In ! $r2_s : String = "x, y""#)
    XCTAssertEqual(
      parts.selections,
      #"r2_saved : create ( input : $r2_input s : $r2_s ) { id } r2_other : other ( a : "$input" )"#)
  }

  func testShorthandQueryAndStringsWithEscapes() throws {
    let operation = try GraphQLOperation(#"{ a(text: "say \"hi\" }") b(block: """ { """) }"#)
    XCTAssertEqual(operation.type, "query")
    XCTAssertNil(operation.name)
    XCTAssertEqual(operation.rootFields.map(\.name), ["a", "b"])
    XCTAssertEqual(operation.label, "a+b")
  }

  func testRejectsWhatCannotBeRead() {
    func reason(_ document: String) -> String {
      do {
        _ = try GraphQLOperation(document)
        return "accepted"
      } catch {
        XCTAssertEqual(ExitStatus.of(error), .usage)
        return describe(error)
      }
    }
    XCTAssertEqual(
      reason("query A { a } query B { b }"),
      "the GraphQL operation cannot be read: the document holds more than one operation; keep one per document")
    XCTAssertEqual(reason("mutation { a "), "the GraphQL operation cannot be read: the document ends too early")
    XCTAssertEqual(
      reason("fragment F on T { a }"), "the GraphQL operation cannot be read: the document holds no operation")
    XCTAssertEqual(reason("{ a(s: \"open) }"), "the GraphQL operation cannot be read: a string on line 1 never ends")
  }

  func testFragmentsWithVariablesAndRootSpreadsCannotBeBatched() throws {
    let withVariables = try GraphQLOperation("query($x: Int) { ...F } fragment F on Query { a(x: $x) }")
    XCTAssertTrue(withVariables.fragmentsUseVariables)
    XCTAssertTrue(withVariables.hasRootFragments)
    let template = try OperationTemplate(operation: withVariables, bindings: [], merges: [])
    let (diagnostics, _) = Diagnostics.capturing(tool: "gql-mutate")
    XCTAssertThrowsError(
      try MutationRunner(
        choice: .always(template), client: GraphQLClient(.init(endpoint: "http://127.0.0.1:9/")),
        writer: RecordWriter(sink: MemorySink()), diagnostics: diagnostics, options: .init(batchSize: 2))
    ) { error in
      XCTAssertEqual(ExitStatus.of(error), .usage)
      XCTAssertTrue(describe(error).contains("send it without --batch"))
    }
  }
}
