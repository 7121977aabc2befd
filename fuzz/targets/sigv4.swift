import CliplineHTTP
import Foundation

// SigV4 canonicalisation: any text as a URL (path, query, authority) and header value, signed for S3 and for
// another service; presigned URLs too.
@testable import CliplineAWS

let credentials = AWSCredentials(
  accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
let signers = [
  SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3"),
  SigV4Signer(credentials: credentials, region: "eu-west-1", service: "kinesisvideo"),
]
let date = Date(timeIntervalSince1970: 1_440_938_160)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  let parts = URLParts(text)
  _ = parts.hostHeader
  _ = SigV4Signer.removingDotSegments(parts.path)
  _ = SigV4Signer.canonicalQuery(parts.query)
  _ = SigV4Signer.trimmedHeaderValue(text)
  for signer in signers {
    _ = signer.canonicalURI(parts.path)
    _ = signer.canonicalRequest(
      method: "get", parts: parts, query: parts.query, headers: [("X-Amz-Meta-Fuzz", text), ("Host", parts.host)],
      payloadHash: "UNSIGNED-PAYLOAD")
    _ = signer.presignedURL(method: "GET", url: text, expires: 60, date: date)
    var request = HTTPRequest(method: "PUT", url: text, headers: [("x-amz-meta-fuzz", text)])
    signer.sign(&request, payloadSHA256: "UNSIGNED-PAYLOAD", date: date)
  }
  return 0
}
