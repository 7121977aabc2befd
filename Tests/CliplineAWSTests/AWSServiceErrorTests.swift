import CliplineHTTP
import CliplineRecords
import CliplineSystem
import XCTest

@testable import CliplineAWS

final class AWSServiceErrorTests: XCTestCase {
  func error(_ status: Int, _ body: String, headers: [(name: String, value: String)] = [], resource: String? = nil)
    -> AWSServiceError
  {
    AWSServiceError(status: status, headers: headers, body: Array(body.utf8), resource: resource)
  }

  func testS3XMLErrorsMapToExitCodes() {
    let cases: [(Int, String, ExitStatus)] = [
      (403, "SignatureDoesNotMatch", .permissionDenied), (403, "InvalidAccessKeyId", .permissionDenied),
      (403, "AccessDenied", .permissionDenied), (400, "ExpiredToken", .permissionDenied),
      (503, "SlowDown", .temporaryFailure), (500, "InternalError", .temporaryFailure),
      (404, "NoSuchKey", .noInput), (404, "NoSuchBucket", .noInput), (400, "InvalidArgument", .dataError),
    ]
    for (status, code, exit) in cases {
      let error = self.error(
        status, "<?xml version=\"1.0\"?>\n<Error><Code>\(code)</Code><Message>it &amp; that</Message></Error>",
        resource: "s3://bucket/key")
      XCTAssertEqual(error.code, code)
      XCTAssertEqual(error.message, "it & that")
      XCTAssertEqual(error.exitStatus, exit, code)
      XCTAssertEqual(error.description, "\(code) (HTTP \(status)) for s3://bucket/key: it & that")
    }
  }

  func testJSONErrorsAndHeaderTypes() {
    let kvs = error(400, #"{"__type":"com.amazonaws#NotAuthorizedException","message":"no"}"#)
    XCTAssertEqual(kvs.code, "NotAuthorizedException")
    XCTAssertEqual(kvs.exitStatus, .permissionDenied)
    let throttled = error(400, "{}", headers: [("x-amzn-ErrorType", "ClientLimitExceededException:http://x/")])
    XCTAssertEqual(throttled.code, "ClientLimitExceededException")
    XCTAssertEqual(throttled.exitStatus, .temporaryFailure)
    XCTAssertTrue(isRetryableAWSFailure(throttled))
    let missing = error(404, #"{"Message":"gone","__type":"ResourceNotFoundException"}"#)
    XCTAssertEqual(missing.exitStatus, .noInput)
    let head = error(403, "")
    XCTAssertEqual(head.code, "AccessDenied")
    XCTAssertEqual(head.exitStatus, .permissionDenied)
  }
}
