import CliplineHTTP
import Foundation
import XCTest

@testable import CliplineAWS

/// Cases from AWS's published SigV4 test suite (aws-sig-v4-test-suite, as vendored by botocore and the SDKs):
/// credentials AKIDEXAMPLE, region us-east-1, service "service", 2015-08-30T12:36:00Z.
final class SigV4TestSuiteTests: XCTestCase {
  let suiteCredentials = AWSCredentials(
    accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
  let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z

  struct SuiteCase {
    let name: String
    let method: String
    let url: String
    var headers: [(name: String, value: String)] = []
    var body: [UInt8] = []
    let signedHeaders: String
    let signature: String
  }

  let cases: [SuiteCase] = [
    SuiteCase(
      name: "get-vanilla", method: "GET", url: "https://example.amazonaws.com/", signedHeaders: "host;x-amz-date",
      signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    SuiteCase(
      name: "post-vanilla", method: "POST", url: "https://example.amazonaws.com/", signedHeaders: "host;x-amz-date",
      signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    SuiteCase(
      name: "get-vanilla-query-order-key-case", method: "GET",
      url: "https://example.amazonaws.com/?Param2=value2&Param1=value1", signedHeaders: "host;x-amz-date",
      signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    SuiteCase(
      name: "post-header-value-case", method: "POST", url: "https://example.amazonaws.com/",
      headers: [("My-Header1", "VALUE1")], signedHeaders: "host;my-header1;x-amz-date",
      signature: "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"),
    SuiteCase(
      name: "get-header-value-trim", method: "GET", url: "https://example.amazonaws.com/",
      headers: [("My-Header1", " value1"), ("My-Header2", "\"a   b   c\"")],
      signedHeaders: "host;my-header1;my-header2;x-amz-date",
      signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
    SuiteCase(
      name: "get-unreserved", method: "GET",
      url: "https://example.amazonaws.com/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
      signedHeaders: "host;x-amz-date",
      signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
    SuiteCase(
      name: "get-utf8", method: "GET", url: "https://example.amazonaws.com/\u{1234}", signedHeaders: "host;x-amz-date",
      signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
    SuiteCase(
      name: "get-relative-relative (normalized)", method: "GET",
      url: "https://example.amazonaws.com/example1/example2/../..",
      signedHeaders: "host;x-amz-date",
      signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    SuiteCase(
      name: "post-x-www-form-urlencoded", method: "POST", url: "https://example.amazonaws.com/",
      headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array("Param1=value1".utf8),
      signedHeaders: "content-type;host;x-amz-date",
      signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
  ]

  func testEverySuiteCaseSignsAsPublished() {
    let signer = SigV4Signer(credentials: suiteCredentials, region: "us-east-1", service: "service")
    for suiteCase in cases {
      var request = HTTPRequest(
        method: suiteCase.method, url: suiteCase.url, headers: suiteCase.headers,
        body: suiteCase.body.isEmpty ? .none : .bytes(suiteCase.body))
      signer.sign(&request, date: suiteDate)
      XCTAssertEqual(request.header("X-Amz-Date"), "20150830T123600Z", suiteCase.name)
      XCTAssertEqual(
        request.header("Authorization"),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
          + "SignedHeaders=\(suiteCase.signedHeaders), Signature=\(suiteCase.signature)", suiteCase.name)
      XCTAssertNil(request.header("X-Amz-Content-SHA256"), "only S3 gets the payload header: \(suiteCase.name)")
    }
  }

  func testCanonicalRequestAndStringToSignOfTheQueryCase() {
    let signer = SigV4Signer(credentials: suiteCredentials, region: "us-east-1", service: "service")
    let parts = URLParts("https://example.amazonaws.com/?Param2=value2&Param1=value1")
    let canonical = signer.canonicalRequest(
      method: "GET", parts: parts, query: parts.query,
      headers: [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")],
      payloadHash: SigV4Signer.emptyPayloadSHA256)
    XCTAssertEqual(
      canonical.text,
      "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
        + "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    XCTAssertEqual(
      signer.stringToSign(canonicalRequest: canonical.text, stamp: AWSDateStamp(suiteDate)),
      "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
        + "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0")
  }

  /// The S3 examples of the SigV4 documentation ("Examples: Signature Calculations in AWS Signature Version 4").
  func testS3DocumentationExamples() {
    let credentials = AWSCredentials(
      accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3")
    let date = Date(timeIntervalSince1970: 1_369_353_600)  // 20130524T000000Z
    var get = HTTPRequest(url: "https://examplebucket.s3.amazonaws.com/test.txt", headers: [("Range", "bytes=0-9")])
    signer.sign(&get, date: date)
    XCTAssertEqual(get.header("X-Amz-Content-SHA256"), SigV4Signer.emptyPayloadSHA256)
    XCTAssertEqual(
      get.header("Authorization"),
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    let presigned = signer.presignedURL(
      method: "GET", url: "https://examplebucket.s3.amazonaws.com/test.txt", expires: 86400, date: date)
    XCTAssertTrue(
      presigned.hasSuffix("X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"),
      presigned)
  }

  func testS3PathsAreSignedAsSentNotNormalized() {
    let signer = SigV4Signer(credentials: suiteCredentials, region: "us-east-1", service: "s3")
    XCTAssertEqual(signer.canonicalURI("/bucket/a//b/../c/./d"), "/bucket/a//b/../c/./d")
    XCTAssertEqual(signer.canonicalURI("/bucket/with%20space"), "/bucket/with%20space")
    let other = SigV4Signer(credentials: suiteCredentials, region: "us-east-1", service: "kinesisvideo")
    XCTAssertEqual(other.canonicalURI("/a%20b"), "/a%2520b", "non-S3 paths are encoded twice")
  }

  func testSessionTokenIsSignedAndNeverAppearsInDescription() {
    let credentials = AWSCredentials(
      accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "TOKEN")
    let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3")
    var request = HTTPRequest(url: "http://127.0.0.1:8333/bucket/key")
    signer.sign(&request, date: suiteDate)
    XCTAssertEqual(request.header("X-Amz-Security-Token"), "TOKEN")
    XCTAssertTrue(request.header("Authorization")!.contains("x-amz-security-token"))
    XCTAssertFalse(String(describing: credentials).contains("wJalr"))
  }
}
