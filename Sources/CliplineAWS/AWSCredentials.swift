import CliplineRecords
import CliplineSystem
import Foundation

/// One set of AWS credentials: long-lived keys, or temporary ones with a session token and an expiry.
public struct AWSCredentials: Sendable, CustomStringConvertible {
  public let accessKeyId: String
  public let secretAccessKey: String
  public let sessionToken: String?
  public let expiration: Date?

  public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
    self.accessKeyId = accessKeyId
    self.secretAccessKey = secretAccessKey
    self.sessionToken = sessionToken
    self.expiration = expiration
  }

  /// Never the secret: only the key id, so a printed value cannot leak anything that signs.
  public var description: String { "AWSCredentials(accessKeyId: \(accessKeyId), secret: ***)" }

  /// True when these expire within `margin` seconds of `now`.
  public func expires(within margin: TimeInterval, of now: Date = Date()) -> Bool {
    guard let expiration else { return false }
    return expiration.timeIntervalSince(now) < margin
  }
}

/// Anything that can hand out credentials (a fixed set, the standard chain, a test's own).
public protocol AWSCredentialsProvider: Sendable {
  func credentials() throws -> AWSCredentials
}

/// A fixed set of credentials.
public struct StaticCredentialsProvider: AWSCredentialsProvider {
  public let value: AWSCredentials
  public init(_ value: AWSCredentials) { self.value = value }
  public func credentials() throws -> AWSCredentials { value }
}

/// Credentials could not be found or fetched. Nothing found is a configuration problem (78); a source that
/// answered but refused (STS, the container endpoint) is a permission problem (77); one that did not answer may pass.
public struct AWSCredentialsError: ExitStatusProviding, CustomStringConvertible {
  public enum Kind: Sendable { case notFound, refused, unreachable, malformed }
  public let kind: Kind
  public let message: String

  public init(_ kind: Kind, _ message: String) {
    self.kind = kind
    self.message = message
  }

  public var description: String { "AWS credentials: \(message)" }

  public var exitStatus: ExitStatus {
    switch kind {
    case .notFound, .malformed: return .configuration
    case .refused: return .permissionDenied
    case .unreachable: return .temporaryFailure
    }
  }
}
