import CliplineRecords
import CliplineSystem
import Foundation
import XCTest

@testable import CliplineKVS

final class KVSErrorTests: XCTestCase {
  private func error(
    _ status: Int, type: String?, message: String, operation: String = "GetClip", dataPlane: Bool = true
  ) -> KVSError {
    var headers: [(name: String, value: String)] = []
    if let type { headers.append(("x-amzn-ErrorType", "\(type):http://internal.amazon.com/coral/")) }
    return KVSError.from(
      status: status, headers: headers, body: Array("{\"message\":\"\(message)\"}".utf8), operation: operation,
      stream: KVSStreamReference(name: "cam"), isDataPlane: dataPlane)
  }

  func testEachKVSErrorHasItsExitCode() {
    XCTAssertEqual(error(400, type: "ClientLimitExceededException", message: "slow down").exitStatus, .temporaryFailure)
    XCTAssertEqual(error(401, type: "NotAuthorizedException", message: "no").exitStatus, .permissionDenied)
    XCTAssertEqual(error(400, type: "MissingCodecPrivateDataException", message: "no CPD").exitStatus, .dataError)
    XCTAssertEqual(error(400, type: "InvalidCodecPrivateDataException", message: "bad CPD").kind, .media)
    XCTAssertEqual(error(400, type: "UnsupportedStreamMediaTypeException", message: "x").kind, .media)
    XCTAssertEqual(error(400, type: "InvalidMediaFrameException", message: "x").kind, .media)
    XCTAssertEqual(error(400, type: "NoDataRetentionException", message: "x").exitStatus, .dataError)
    XCTAssertEqual(error(400, type: "InvalidArgumentException", message: "x").exitStatus, .dataError)
    XCTAssertEqual(error(503, type: nil, message: "").exitStatus, .temporaryFailure)
  }

  func testResourceNotFoundIsTheStreamOrAnEmptyRange() {
    let stream = error(404, type: "ResourceNotFoundException", message: "The stream was not found", dataPlane: true)
    XCTAssertEqual(stream.kind, .streamNotFound)
    XCTAssertEqual(stream.exitStatus, .noInput)
    let range = error(404, type: "ResourceNotFoundException", message: "No fragments found in the range")
    XCTAssertEqual(range.kind, .noFragments)
    XCTAssertEqual(range.exitStatus, .dataError)
    XCTAssertTrue(range.description.contains("no fragments in the requested time range"), range.description)
    let control = error(
      404, type: "ResourceNotFoundException", message: "", operation: "DescribeStream", dataPlane: false)
    XCTAssertEqual(control.kind, .streamNotFound)
  }

  func testTheMessageCarriesAWSWords() {
    let media = error(400, type: "MissingCodecPrivateDataException", message: "No codec private data found")
    XCTAssertTrue(media.description.contains("No codec private data found"), media.description)
    XCTAssertTrue(media.description.contains("stream \"cam\""), media.description)
  }
}
