import CliplineHTTP
import CliplineRecords
import CliplineSystem
import Foundation

/// An error answer from an AWS service (or an S3-compatible server), parsed from its XML (S3, STS) or JSON
/// (`__type`, `x-amzn-ErrorType`: KVS and the other JSON services) body.
public struct AWSServiceError: Error, ExitStatusProviding, CustomStringConvertible, RetryAfterProviding {
  public let code: String
  public let message: String
  public let status: Int
  /// What was asked for, for the sentence (`s3://bucket/key`, a stream ARN); never a signed URL.
  public var resource: String?
  public let requestId: String?
  public let retryAfter: Double?

  public init(
    code: String, message: String, status: Int, resource: String? = nil, requestId: String? = nil,
    retryAfter: Double? = nil
  ) {
    self.code = code
    self.message = message
    self.status = status
    self.resource = resource
    self.requestId = requestId
    self.retryAfter = retryAfter
  }

  /// Reads the code and message from whatever the service answered; a body-less answer (HEAD) gets the code
  /// its status implies.
  public init(response: HTTPResponse, resource: String? = nil) {
    self.init(status: response.status, headers: response.headers, body: response.body, resource: resource)
  }

  public init(status: Int, headers: [(name: String, value: String)], body: [UInt8], resource: String? = nil) {
    func header(_ name: String) -> String? { headers.last { $0.name.lowercased() == name.lowercased() }?.value }
    var code: String?
    var message: String?
    let firstByte = body.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
    if firstByte == UInt8(ascii: "<") {
      let xml = XMLScanner(body)
      code = xml.text("Code")
      message = xml.text("Message")
    } else if firstByte == UInt8(ascii: "{"), case .object(let object)? = try? JSONParser.parse(body) {
      code = (object["__type"] ?? object["code"] ?? object["Code"])?.stringValue
      message = (object["message"] ?? object["Message"])?.stringValue
    }
    if let typeHeader = header("x-amzn-ErrorType"), !typeHeader.isEmpty { code = code ?? typeHeader }
    if var found = code {
      // "aws.protocoltests#ThrottlingException" or "ResourceNotFoundException:http://internal…"
      if let hash = found.lastIndex(of: "#") { found = String(found[found.index(after: hash)...]) }
      if let colon = found.firstIndex(of: ":") { found = String(found[..<colon]) }
      code = found
    }
    self.init(
      code: code ?? Self.code(forStatus: status), message: message ?? "HTTP \(status)", status: status,
      resource: resource, requestId: header("x-amz-request-id") ?? header("x-amzn-RequestId"),
      retryAfter: header("Retry-After").flatMap(Double.init))
  }

  static func code(forStatus status: Int) -> String {
    switch status {
    case 301: return "PermanentRedirect"
    case 400: return "BadRequest"
    case 403: return "AccessDenied"
    case 404: return "NotFound"
    case 409: return "Conflict"
    case 412: return "PreconditionFailed"
    case 503: return "SlowDown"
    default: return status >= 500 ? "InternalError" : "HTTP\(status)"
    }
  }

  public var description: String {
    let subject = resource.map { " for \($0)" } ?? ""
    let detail = message.isEmpty || message == code ? "" : ": \(message)"
    return "\(code) (HTTP \(status))\(subject)\(detail)"
  }

  static let permissionCodes: Set<String> = [
    "AccessDenied", "AccessDeniedException", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
    "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException", "InvalidToken",
    "MissingAuthenticationToken", "IncompleteSignature", "AuthFailure", "RequestExpired",
  ]
  static let temporaryCodes: Set<String> = [
    "SlowDown", "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
    "TooManyRequestsException", "ClientLimitExceededException", "ProvisionedThroughputExceededException",
    "RequestThrottled", "RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure",
    "ServiceUnavailable", "ServiceUnavailableException", "PriorRequestNotComplete", "BandwidthLimitExceeded",
  ]
  static let missingCodes: Set<String> = [
    "NoSuchKey", "NoSuchBucket", "NoSuchUpload", "NoSuchVersion", "NotFound", "ResourceNotFoundException",
    "NoSuchEntity", "NoSuchTagSet",
  ]

  public var exitStatus: ExitStatus {
    if Self.permissionCodes.contains(code) || code.hasPrefix("NotAuthorized") { return .permissionDenied }
    if Self.temporaryCodes.contains(code) || status >= 500 || status == 429 { return .temporaryFailure }
    if Self.missingCodes.contains(code) { return .noInput }
    if status == 401 || status == 403 { return .permissionDenied }
    return .dataError
  }

  public var isRetryable: Bool { exitStatus == .temporaryFailure }
}

/// Retries what may pass: transport hiccups, throttling, 5xx — from the HTTP layer or from a parsed AWS error.
public func isRetryableAWSFailure(_ error: Error) -> Bool {
  if let service = error as? AWSServiceError { return service.isRetryable }
  return isRetryableHTTPFailure(error)
}

extension HTTPResponse {
  /// Throws the service's own error for anything but 2xx.
  public func checkedAWS(resource: String? = nil) throws -> HTTPResponse {
    guard isSuccess else { throw AWSServiceError(response: self, resource: resource) }
    return self
  }
}
