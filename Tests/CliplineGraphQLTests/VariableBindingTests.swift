import CliplineRecords
import CliplineSystem
import XCTest

@testable import CliplineGraphQL

/// `--var`, `--merge` and `--field` values, and the variables they make from records.
final class VariableBindingTests: XCTestCase {
  func testParsesTheThreeForms() throws {
    XCTAssertEqual(
      try VariableBinding(parsing: "input.chunkHash=chunk_hash"),
      VariableBinding(target: ["input", "chunkHash"], source: .field(path: "chunk_hash", default: nil)))
    XCTAssertEqual(
      try VariableBinding(parsing: "offset = time_offset // 0"),
      VariableBinding(target: ["offset"], source: .field(path: "time_offset", default: .integer(0))))
    XCTAssertEqual(
      try VariableBinding(parsing: #"status:="PROCESSING""#),
      VariableBinding(target: ["status"], source: .literal("PROCESSING")))
    XCTAssertEqual(
      try VariableBinding(parsing: #"tags:=["a", 1]"#), VariableBinding(target: ["tags"], source: .literal(["a", 1])))
  }

  func testMalformedBindingsAreUsageErrorsSayingHowToWriteThem() {
    for (text, reason) in [
      ("chunk_hash", "no \"=\""), ("1st=field", "is not a GraphQL name"), ("a=", "no field path"),
      ("a=b // PROCESSING", "not JSON (strings need quotes)"), ("a:={", "the value is not JSON"),
    ] {
      XCTAssertThrowsError(try VariableBinding(parsing: text), text) { error in
        XCTAssertEqual(ExitStatus.of(error), .usage)
        XCTAssertTrue(describe(error).contains(reason), describe(error))
        XCTAssertTrue(describe(error).contains("write name=field.path"), describe(error))
      }
    }
  }

  func testVariablesFromARecordBuildNestedInputObjects() throws {
    let record = try Record(
      json: #"{"process_id": 101, "video": {"fps": 30}, "hash": "abc", "gone": null, "extra": true}"#)
    let bindings = try [
      "input.processId=process_id", "input.fps=video.fps", "input.chunkHash=hash", "input.note=gone // \"none\"",
      "input.offset=missing // 0.5", "kept=gone", #"mode:="fast""#,
    ].map(VariableBinding.init(parsing:))
    let variables = try VariableBinding.variables(for: record, bindings: bindings)
    XCTAssertEqual(
      JSONValue.object(variables),
      [
        "input": ["processId": 101, "fps": 30, "chunkHash": "abc", "note": "none", "offset": 0.5],
        "kept": nil, "mode": "fast",
      ])
  }

  func testMissingFieldNamesTheFieldAndTheVariable() throws {
    let record = try Record(json: #"{"process_id": 101}"#)
    XCTAssertThrowsError(
      try VariableBinding.variables(for: record, bindings: [try VariableBinding(parsing: "input.endTime=end_time")])
    ) { error in
      XCTAssertEqual(ExitStatus.of(error), .dataError)
      XCTAssertEqual(describe(error), #"field "end_time" is missing (it gives the variable $input.endTime)"#)
    }
  }

  func testMergeRulesAndFlagValues() throws {
    XCTAssertEqual(try MergeRule(parsing: "job_id=data.createJob.id").path, ["data", "createJob", "id"])
    XCTAssertEqual(try MergeRule(parsing: "job_id=createJob.id").path, ["data", "createJob", "id"])
    let response: JSONValue = ["data": ["jobs": [["id": "7"]]]]
    XCTAssertEqual(try MergeRule(parsing: "first=data.jobs.0.id").value(in: response, operation: "Jobs"), "7")
    XCTAssertThrowsError(try MergeRule(parsing: "x=data.jobs.1.id").value(in: response, operation: "Jobs"))
    XCTAssertThrowsError(try MergeRule(parsing: "=data.x"))
    XCTAssertThrowsError(try MergeRule(parsing: "x=data..y"))

    XCTAssertEqual(try FlagValues.field("process_id:=101").value, .integer(101))
    XCTAssertEqual(try FlagValues.field("process_id=101").value, .string("101"))
    XCTAssertEqual(try FlagValues.field("note=a=b").value, .string("a=b"))
    XCTAssertThrowsError(try FlagValues.field("x:=nope"))
    XCTAssertEqual(try FlagValues.header("X-Trace:  abc ").name, "X-Trace")
    XCTAssertEqual(try FlagValues.header("X-Trace:  abc ").value, "abc")
    XCTAssertThrowsError(try FlagValues.header("no colon"))
  }

  func testTemplateChecksBindingsAgainstTheOperation() throws {
    let operation = try GraphQLOperation("mutation($a: Int!, $b: Int = 1, $c: Int) { f(a: $a) }")
    XCTAssertNoThrow(
      try OperationTemplate(operation: operation, bindings: [VariableBinding(parsing: "a=x")], merges: []))
    XCTAssertThrowsError(try OperationTemplate(operation: operation, bindings: [], merges: [])) {
      XCTAssertTrue(describe($0).contains("requires $a: Int!"), describe($0))
    }
    XCTAssertThrowsError(
      try OperationTemplate(
        operation: operation, bindings: [VariableBinding(parsing: "a=x"), VariableBinding(parsing: "d=y")], merges: [])
    ) {
      XCTAssertTrue(describe($0).contains("declares no variable $d (it declares $a, $b, $c)"), describe($0))
    }
  }
}
