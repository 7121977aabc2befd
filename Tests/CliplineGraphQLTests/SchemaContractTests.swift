import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

@testable import CliplineGraphQL

/// The built-in documents, alone and batched, validate against examples/backend/schema.graphql (checked by
/// graphql-core, the reference implementation's Python port) with the variables a chunk record gives them.
final class SchemaContractTests: XCTestCase {
  static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

  /// Validates each (document, variables) pair; returns graphql-core's error messages, one list per document.
  private func validate(_ requests: [(document: String, variables: [String: JSONValue])]) throws -> [[String]] {
    let script = """
      import json, sys
      from graphql import build_schema, parse, validate
      from graphql.execution.values import get_variable_values
      schema = build_schema(open(sys.argv[1]).read())
      results = []
      for request in json.load(sys.stdin):
          document = parse(request["document"])
          errors = [e.message for e in validate(schema, document)]
          if not errors:
              operation = document.definitions[0]
              coerced = get_variable_values(schema, operation.variable_definitions, request["variables"])
              if isinstance(coerced, list):
                  errors = [e.message for e in coerced]
          results.append(errors)
      print(json.dumps(results))
      """
    let input = JSONValue.array(
      requests.map { ["document": .string($0.document), "variables": .object($0.variables)] })
    let result = try ToolInvocation.runProcess(
      "/usr/bin/env", ["python3", "-c", script, Self.repositoryRoot + "/examples/backend/schema.graphql"],
      stdin: Data(JSONSerializer.bytes(input)))
    guard result.status == 0, let lists = try JSONParser.parse(Array(result.stdout.utf8)).arrayValue else {
      throw TestFailure("python3 with graphql-core (scripts/deps/pip.txt) could not validate: \(result.stderr)")
    }
    return lists.map { $0.arrayValue?.compactMap(\.stringValue) ?? ["not a list"] }
  }

  private let batchChunk = Record([
    "inference_modality": "batch", "process_id": 101, "chunk_hash": "d4f3", "chunk_duration": 60,
    "start_time": 0.0, "end_time": 60.0, "time_offset": 0.0, "cloud_stream_path": "s3://spectra-videos/c.mp4",
  ])

  private var liveChunk: Record {
    var record = batchChunk
    record["inference_modality"] = "live"
    record["chunk_start_time"] = "2026-02-26T14:30:00Z"
    record["chunk_end_time"] = "2026-02-26T14:31:00Z"
    return record
  }

  func testBuiltInDocumentsValidateWithTheVariablesRecordsGive() throws {
    var requests: [(document: String, variables: [String: JSONValue])] = []
    var items: [PreparedOperation] = []
    for choice in [try BuiltInOperations.choice(.createChunk)]
      + (try ProcessingStatus.allCases.map { try BuiltInOperations.choice(.setStatus, status: $0) })
    {
      for record in [batchChunk, liveChunk] {
        let item = try choice.template(for: record).prepare(record, line: 1)
        items.append(item)
        requests.append((item.template.operation.document, item.variables))
      }
    }
    XCTAssertEqual(
      Set(requests.map(\.document)),
      [
        BuiltInOperations.createBatchChunk, BuiltInOperations.createLiveChunk, BuiltInOperations.updateBatchStatus,
        BuiltInOperations.updateCamStatus,
      ])
    let batched = BatchedRequest(items)
    requests.append((batched.document, batched.variables))

    let errors = try validate(requests)

    XCTAssertEqual(errors.count, requests.count)
    for (request, messages) in zip(requests, errors) {
      XCTAssertEqual(messages, [], request.document)
    }
  }

  func testTheCheckCatchesADocumentThatDoesNotMatch() throws {
    let errors = try validate([
      (
        "mutation($input: CreateBatchChunkInput!) { createBatchChunk(input: $input) { id size } }",
        ["input": ["processId": 1]]
      )
    ])
    XCTAssertEqual(errors, [["Cannot query field 'size' on type 'BatchChunk'."]])
  }
}
