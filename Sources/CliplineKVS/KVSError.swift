import CliplineHTTP
import CliplineRecords
import CliplineSystem
import Foundation

/// A Kinesis Video Streams failure, told apart the way an operator needs: what happened, to which stream,
/// and the exit code `amqp-consume` acts on (retry later, dead-letter, or fix the credentials).
public struct KVSError: Error, CustomStringConvertible, ExitStatusProviding {
  public enum Kind: Sendable, Equatable {
    /// ClientLimitExceededException: AWS throttled us; retried with backoff before it surfaces (75).
    case throttled
    /// NotAuthorizedException, bad signature or key (77).
    case notAuthorized
    /// The stream itself does not exist (66).
    case streamNotFound
    /// The stream exists but holds no media in the asked range (65: the task is wrong or came too late).
    case noFragments
    /// The stream keeps no media (retention 0): nothing can ever be clipped (65).
    case noDataRetention
    /// The stream's media cannot be made into an MP4: missing or bad codec data, unsupported type, bad frames (65).
    case media
    /// The request itself is wrong (65).
    case invalidArgument
    /// 5xx and the like (75).
    case serviceUnavailable
    case other
  }

  public let kind: Kind
  /// AWS's error name (`ClientLimitExceededException`), or the HTTP status when the body named none.
  public let code: String
  public let message: String
  public let operation: String
  public let stream: KVSStreamReference?
  public let status: Int

  public init(kind: Kind, code: String, message: String, operation: String, stream: KVSStreamReference?, status: Int) {
    self.kind = kind
    self.code = code
    self.message = message
    self.operation = operation
    self.stream = stream
    self.status = status
  }

  public var exitStatus: ExitStatus {
    switch kind {
    case .throttled, .serviceUnavailable: return .temporaryFailure
    case .notAuthorized: return .permissionDenied
    case .streamNotFound: return .noInput
    case .noFragments, .noDataRetention, .media, .invalidArgument: return .dataError
    case .other: return .failure
    }
  }

  public var isRetryable: Bool { exitStatus == .temporaryFailure }

  /// AWS's words only, for a retry warning (the full sentence is for the final failure).
  public var summary: String { message.isEmpty ? "\(code) (HTTP \(status))" : "\(code) (HTTP \(status)): \(message)" }

  public var description: String {
    let subject = stream.map { " for \($0)" } ?? ""
    let detail = message.isEmpty ? "" : " (\(code): \(message))"
    switch kind {
    case .throttled:
      return "KVS kept throttling \(operation)\(subject) after retries with backoff\(detail); try again later"
    case .notAuthorized:
      return "KVS refused \(operation)\(subject): not authorized\(detail); check the AWS credentials and IAM policy"
    case .streamNotFound:
      return "\(operation): the \(stream?.requested ?? "stream") does not exist in this account and region\(detail)"
    case .noFragments:
      return
        "\(operation): the \(stream?.description ?? "stream") has no fragments in the requested time range\(detail)"
    case .noDataRetention:
      return "\(operation): the \(stream?.description ?? "stream") keeps no media (data retention is 0)\(detail)"
    case .media:
      return "\(operation)\(subject): KVS cannot make a clip of this media\(detail)"
    case .invalidArgument:
      return "\(operation)\(subject): KVS rejected the request\(detail)"
    case .serviceUnavailable:
      return "\(operation)\(subject): KVS is unavailable (HTTP \(status))\(detail); try again later"
    case .other:
      return "\(operation)\(subject) failed with HTTP \(status)\(detail)"
    }
  }

  static let mediaCodes: Set<String> = [
    "MissingCodecPrivateDataException", "InvalidCodecPrivateDataException", "UnsupportedStreamMediaTypeException",
    "InvalidMediaFrameException",
  ]

  /// Reads AWS's error name from `x-amzn-ErrorType` or the JSON body's `__type`, and its message.
  static func from(
    status: Int, headers: [(name: String, value: String)], body: [UInt8], operation: String,
    stream: KVSStreamReference?, isDataPlane: Bool
  ) -> KVSError {
    var code: String?
    var message = ""
    if case .object(let object)? = try? JSONParser.parse(body) {
      code = (object["__type"] ?? object["code"])?.stringValue
      message = (object["message"] ?? object["Message"])?.stringValue ?? ""
    }
    if let header = headers.last(where: { $0.name.lowercased() == "x-amzn-errortype" })?.value, !header.isEmpty {
      code = header
    }
    if var found = code {
      if let colon = found.firstIndex(of: ":") { found = String(found[..<colon]) }
      if let hash = found.lastIndex(of: "#") { found = String(found[found.index(after: hash)...]) }
      code = found
    }
    let name = code ?? "HTTP\(status)"
    let kind: Kind
    switch name {
    case "ClientLimitExceededException", "ThrottlingException", "LimitExceededException",
      "ConnectionLimitExceededException":
      kind = .throttled
    // The data endpoint asked at moved: ask GetDataEndpoint again and retry.
    case "InvalidEndpointException": kind = .serviceUnavailable
    case "NotAuthorizedException", "AccessDeniedException", "UnrecognizedClientException",
      "InvalidSignatureException", "ExpiredTokenException", "MissingAuthenticationTokenException":
      kind = .notAuthorized
    case "ResourceNotFoundException":
      // The data plane answers ResourceNotFound both for a missing stream and for a range without media.
      let lowered = message.lowercased()
      let aboutStream = lowered.contains("stream") && !lowered.contains("fragment")
      kind = isDataPlane && !aboutStream ? .noFragments : .streamNotFound
    case "NoDataRetentionException": kind = .noDataRetention
    case _ where mediaCodes.contains(name): kind = .media
    case "InvalidArgumentException", "InvalidArgument", "ValidationException": kind = .invalidArgument
    default:
      switch status {
      case 401, 403: kind = .notAuthorized
      case 429: kind = .throttled
      case 500...599: kind = .serviceUnavailable
      case 404: kind = isDataPlane ? .noFragments : .streamNotFound
      case 400...499: kind = .invalidArgument
      default: kind = .other
      }
    }
    return KVSError(kind: kind, code: name, message: message, operation: operation, stream: stream, status: status)
  }
}

/// Retries what may pass: throttling, 5xx, and transport hiccups.
func isRetryableKVSFailure(_ error: Error) -> Bool {
  if let kvs = error as? KVSError { return kvs.isRetryable }
  return isRetryableHTTPFailure(error)
}
