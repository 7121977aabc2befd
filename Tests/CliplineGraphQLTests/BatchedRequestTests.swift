import CliplineRecords
import CliplineSystem
import XCTest

@testable import CliplineGraphQL

/// Several records' operations in one document, and the response split back per record.
final class BatchedRequestTests: XCTestCase {
  private func prepared(_ records: [Record]) throws -> [PreparedOperation] {
    let choice = try BuiltInOperations.choice(.createChunk)
    return try records.enumerated().map { index, record in
      try choice.template(for: record).prepare(record, line: index + 1)
    }
  }

  private func chunk(_ modality: String, _ id: Int) -> Record {
    var record = Record([
      "inference_modality": .string(modality), "process_id": 7, "chunk_hash": .string("h\(id)"),
      "chunk_duration": 10.0, "start_time": 0.0, "end_time": 10.0, "time_offset": 0.0,
      "cloud_stream_path": "s3://b/k.mp4",
    ])
    if modality == "live" {
      record["chunk_start_time"] = "2026-02-26T14:30:00Z"
      record["chunk_end_time"] = "2026-02-26T14:30:10Z"
    }
    return record
  }

  func testOneOperationIsSentAsWritten() throws {
    let request = BatchedRequest(try prepared([chunk("batch", 1)]))
    XCTAssertEqual(request.document, BuiltInOperations.createBatchChunk)
    XCTAssertEqual(request.operationName, "CreateBatchChunk")
    XCTAssertEqual(request.variables["input"]?.objectValue?["cloudPath"], "s3://b/k.mp4")
  }

  func testSeveralOperationsShareOneDocumentWithPrefixes() throws {
    let request = BatchedRequest(try prepared([chunk("batch", 1), chunk("live", 2)]))
    XCTAssertEqual(
      request.document,
      "mutation CliplineBatch($r0_input : CreateBatchChunkInput ! $r1_input : CreateLiveChunkInput !) { "
        + "r0_createBatchChunk : createBatchChunk ( input : $r0_input ) { id } "
        + "r1_createLiveChunk : createLiveChunk ( input : $r1_input ) { id } }")
    XCTAssertEqual(Set(request.variables.keys), ["r0_input", "r1_input"])
    XCTAssertEqual(request.variables["r1_input"]?.objectValue?["chunkHash"], "h2")
    XCTAssertEqual(request.variables["r1_input"]?.objectValue?["chunkEndTime"], "2026-02-26T14:30:10Z")
  }

  func testResponseSplitsIntoOwnDataAndOwnErrors() throws {
    let items = try prepared([chunk("batch", 1), chunk("batch", 2), chunk("live", 3)])
    let request = BatchedRequest(items)
    let results = request.split([
      "data": ["r0_createBatchChunk": ["id": "11"], "r1_createBatchChunk": nil, "r2_createLiveChunk": ["id": "12"]],
      "errors": [["message": "duplicate", "path": ["r1_createBatchChunk", "id"]]],
    ])
    XCTAssertEqual(try items[0].merged(with: results[0].get())["chunk_record_id"], "11")
    XCTAssertThrowsError(try results[1].get()) { error in
      XCTAssertEqual(describe(error), "operation CreateBatchChunk failed: at createBatchChunk.id: duplicate")
      XCTAssertEqual(ExitStatus.of(error), .dataError)
    }
    XCTAssertEqual(try items[2].merged(with: results[2].get())["chunk_record_id"], "12")
  }

  func testErrorsWithoutAPathBelongToEveryRecord() throws {
    let request = BatchedRequest(try prepared([chunk("batch", 1), chunk("live", 2)]))
    let results = request.split([
      "errors": [["message": "Syntax Error", "locations": [["line": 1, "column": 9]]]]
    ])
    for result in results {
      XCTAssertThrowsError(try result.get()) {
        XCTAssertTrue(describe($0).hasSuffix("failed: in the document at line 1, column 9: Syntax Error"), describe($0))
      }
    }
  }
}
