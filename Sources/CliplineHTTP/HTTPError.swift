internal import CCliplineCurl
import CliplineRecords
import CliplineSystem

/// A request that never got an HTTP answer: libcurl's code and message, with the (redacted) URL.
public struct HTTPTransportError: Error, CustomStringConvertible, ExitStatusProviding {
  public let code: Int
  public let message: String
  public let url: String
  /// The socket could not be made for want of descriptors or memory (curl's "couldn't connect" then is ours).
  public var shortage: ResourceShortage?

  public init(code: Int, message: String, url: String) {
    self.code = code
    self.message = message
    self.url = url
  }

  public var description: String {
    shortage.map { "\($0) (\(SecretRedaction.url(url)))" } ?? "\(message) (\(SecretRedaction.url(url)))"
  }

  /// Refused or unresolvable: the service is not there (69). Everything else on the wire may pass (75), and so
  /// does a shortage of ours.
  public var exitStatus: ExitStatus {
    if let shortage { return shortage.exitStatus }
    switch CURLcode(rawValue: UInt32(code)) {
    case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: return .unavailable
    case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL: return .usage
    // A redirect loop, or a chain past the limit: the URL leads nowhere, and asking again will not change that.
    case CURLE_TOO_MANY_REDIRECTS: return .dataError
    case CURLE_SSL_CACERT_BADFILE, CURLE_PEER_FAILED_VERIFICATION: return .configuration
    case CURLE_READ_ERROR, CURLE_FILE_COULDNT_READ_FILE: return .noInput
    case CURLE_ABORTED_BY_CALLBACK: return .temporaryFailure
    default: return .temporaryFailure
    }
  }

  /// Worth another try: timeouts, resets, refused connections (a server restarting).
  public var isRetryable: Bool { exitStatus == .temporaryFailure || exitStatus == .unavailable }
}

/// An HTTP answer that is not a success, with the start of its body for the diagnostic.
public struct HTTPStatusError: Error, CustomStringConvertible, ExitStatusProviding, RetryAfterProviding {
  public let status: Int
  public let url: String
  public let bodyExcerpt: String
  public let retryAfter: Double?

  public init(status: Int, url: String, bodyExcerpt: String, retryAfter: Double? = nil) {
    self.status = status
    self.url = url
    self.bodyExcerpt = bodyExcerpt
    self.retryAfter = retryAfter
  }

  public var description: String {
    let excerpt = bodyExcerpt.isEmpty ? "" : ": \(bodyExcerpt)"
    return "HTTP \(status) from \(SecretRedaction.url(url))\(excerpt)"
  }

  public var exitStatus: ExitStatus { HTTPStatusError.exitStatus(forStatus: status) }

  public static func exitStatus(forStatus status: Int) -> ExitStatus {
    switch status {
    case 401, 403: return .permissionDenied
    case 404, 410: return .noInput
    case 408, 425, 429, 500...599: return .temporaryFailure
    case 400...499: return .dataError
    default: return .failure
    }
  }

  public var isRetryable: Bool { exitStatus == .temporaryFailure }
}

/// Retries what the wire or the server says may pass: transport hiccups, 408/429/5xx.
public func isRetryableHTTPFailure(_ error: Error) -> Bool {
  if let transport = error as? HTTPTransportError { return transport.isRetryable }
  if let status = error as? HTTPStatusError { return status.isRetryable }
  return false
}
