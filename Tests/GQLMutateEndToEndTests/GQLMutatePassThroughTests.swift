import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// Numbers gql-mutate does not own come out as they went in, byte for byte (issue 9, item 5).
final class GQLMutatePassThroughTests: XCTestCase {
  func testAwkwardNumbersPassThroughByteForByte() throws {
    let server = try GraphQLTestServer()
    let processID = GraphQLTestServer.newProcessID()
    let numbers = ["12345678901234567890", "1e400", "-0", "-0.0", "60.0", "60.50", "1.5e3", "1E+2"]
    let extra = numbers.enumerated().map { #""x\#($0.offset)":\#($0.element)"# }.joined(separator: ",")
    var line = ChunkRecords.batch(processID: processID, chunkID: 1).jsonText
    line.removeLast()  // the closing brace
    line += ",\(extra),\"nested\":[\(numbers.joined(separator: ","))]}\n"

    let result = try server.run(["--op", "create-chunk"], stdin: line)

    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(result.stdoutLines.count, 1)
    let output = result.stdoutLines.first ?? ""
    for (offset, number) in numbers.enumerated() {
      XCTAssertTrue(
        output.contains(#""x\#(offset)":\#(number),"#) || output.contains(#""x\#(offset)":\#(number)}"#),
        "\(number): \(output)")
    }
    XCTAssertTrue(output.contains(#""nested":[\#(numbers.joined(separator: ","))]"#), output)
  }
}
