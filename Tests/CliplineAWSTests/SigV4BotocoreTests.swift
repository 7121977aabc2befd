import CliplineCrypto
import CliplineHTTP
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

@testable import CliplineAWS

/// Signs the same requests as botocore (the AWS CLI's and boto3's signer) at the same instant and expects the
/// same Authorization headers and presigned URLs: S3 path-style and virtual-hosted, keys that need encoding,
/// session tokens, subresources, and a JSON service (kinesisvideo).
final class SigV4BotocoreTests: XCTestCase {
  let instant = Date(timeIntervalSince1970: 1_795_356_000)  // 2026-11-22T14:00:00Z
  let key = "AKIACLIPLINETEST0001"
  let secret = "cLiPl1nE/t3st+s3cr3t/0123456789abcdefABCD"

  struct Case {
    let service: String
    let region: String
    let method: String
    let url: String
    var headers: [(name: String, value: String)] = []
    var body: [UInt8] = []
    var token: String?
    var presignSeconds: Int?
  }

  var cases: [Case] {
    let json = Array(#"{"StreamName":"FrontEntrance","APIName":"GET_CLIP"}"#.utf8)
    let clip = Array("not really an mp4, but bytes".utf8)
    return [
      Case(
        service: "s3", region: "us-east-1", method: "GET", url: "http://127.0.0.1:8333/spectra-videos/live/a%20b.mp4",
        headers: [("Range", "bytes=0-1023")], token: "FQoGZXIvYXdzEXAMPLETOKEN//=="),
      Case(
        service: "s3", region: "eu-west-1", method: "PUT",
        url: "https://spectra-videos.s3.eu-west-1.amazonaws.com/live/cam%2B1/2026-02-26T14%3A30%3A00Z.mp4",
        headers: [
          ("Content-Type", "video/mp4"), ("x-amz-tagging", "clipline-expires=1795442400"),
          ("x-amz-checksum-sha256", Digest.sha256(clip).base64String),
        ], body: clip),
      Case(service: "s3", region: "us-east-1", method: "POST", url: "http://127.0.0.1:8333/bucket/big.bin?uploads"),
      Case(
        service: "s3", region: "us-east-1", method: "GET",
        url: "http://127.0.0.1:8333/bucket?list-type=2&prefix=temp%2F42%2F&continuation-token=a%2Bb%3D"),
      Case(
        service: "kinesisvideo", region: "us-west-2", method: "POST",
        url: "https://kinesisvideo.us-west-2.amazonaws.com/getDataEndpoint",
        headers: [("Content-Type", "application/json")], body: json, token: "SESSIONTOKEN"),
      Case(
        service: "s3", region: "us-east-1", method: "GET",
        url: "http://127.0.0.1:8333/spectra-cache/temp/42/chunk_001.mp4",
        presignSeconds: 3600),
      Case(
        service: "s3", region: "ap-south-1", method: "PUT",
        url: "https://bucket.s3.ap-south-1.amazonaws.com/clips/x%20y.mp4", token: "TOKEN+/=", presignSeconds: 604_800),
    ]
  }

  static let botocoreScript = """
    import datetime, json, sys
    import botocore.auth as A
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    fixed = datetime.datetime.fromtimestamp(int(sys.argv[1]), tz=datetime.timezone.utc)
    A.get_current_datetime = lambda *a, **k: fixed
    out = []
    for c in json.load(sys.stdin):
        creds = Credentials(c["key"], c["secret"], c.get("token"))
        req = AWSRequest(method=c["method"], url=c["url"], headers=dict(c["headers"]), data=bytes.fromhex(c["body"]))
        s3 = c["service"] == "s3"
        if c.get("presign"):
            (A.S3SigV4QueryAuth if s3 else A.SigV4QueryAuth)(creds, c["service"], c["region"], expires=c["presign"]).add_auth(req)
            out.append(req.url)
        else:
            (A.S3SigV4Auth if s3 else A.SigV4Auth)(creds, c["service"], c["region"]).add_auth(req)
            out.append(req.headers["Authorization"])
    print(json.dumps(out))
    """

  func botocoreAnswers() throws -> [String] {
    let input: [[String: Any]] = cases.map { item in
      var object: [String: Any] = [
        "service": item.service, "region": item.region, "method": item.method, "url": item.url,
        "headers": item.headers.map { [$0.name, $0.value] }, "body": item.body.hexString, "key": key, "secret": secret,
      ]
      if let token = item.token { object["token"] = token }
      if let seconds = item.presignSeconds { object["presign"] = seconds }
      return object
    }
    let result = try ToolInvocation.runProcess(
      "/usr/bin/env", ["python3", "-c", Self.botocoreScript, String(Int(instant.timeIntervalSince1970))],
      stdin: try JSONSerialization.data(withJSONObject: input))
    guard result.status == 0,
      let answers = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String]
    else { throw TestFailure("botocore could not sign (is botocore installed?): \(result.stderr)") }
    return answers
  }

  func testSignaturesMatchBotocore() throws {
    let expected = try botocoreAnswers()
    XCTAssertEqual(expected.count, cases.count)
    for (index, item) in cases.enumerated() {
      let credentials = AWSCredentials(accessKeyId: key, secretAccessKey: secret, sessionToken: item.token)
      let signer = SigV4Signer(credentials: credentials, region: item.region, service: item.service)
      if let seconds = item.presignSeconds {
        let ours = signer.presignedURL(
          method: item.method, url: item.url, expires: TimeInterval(seconds), date: instant)
        let theirs = expected[index]
        XCTAssertEqual(URLParts(ours).path, URLParts(theirs).path, item.url)
        XCTAssertEqual(
          Dictionary(uniqueKeysWithValues: URLParts(ours).query),
          Dictionary(uniqueKeysWithValues: URLParts(theirs).query),
          "presigned \(item.method) \(item.url)")
      } else {
        var request = HTTPRequest(
          method: item.method, url: item.url, headers: item.headers, body: item.body.isEmpty ? .none : .bytes(item.body)
        )
        signer.sign(&request, date: instant)
        XCTAssertEqual(request.header("Authorization"), expected[index], "\(item.method) \(item.url)")
      }
    }
  }
}
