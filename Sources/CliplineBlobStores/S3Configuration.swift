import CliplineAWS
import CliplineRecords
import CliplineSystem
import Foundation

/// How an S3 bucket is addressed: `https://bucket.host/key` (virtual-hosted, AWS's default) or
/// `https://host/bucket/key` (path-style, what most S3-compatible servers want).
public enum S3Addressing: String, Sendable, CaseIterable {
  /// Virtual-hosted on AWS, path-style on a custom endpoint or for bucket names with dots.
  case auto
  case path
  case virtual
}

/// Where S3 is, who we are, and how big transfers are cut.
public struct S3Configuration: Sendable {
  /// A custom endpoint (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`), or nil for AWS itself.
  public var endpoint: String?
  public var region: String
  public var credentials: AWSCredentialsProvider
  public var addressing: S3Addressing
  /// Files at least this large are sent as multipart uploads; objects this large are fetched in parallel ranges.
  public var multipartThreshold: Int64 = 16 << 20
  public var partSize: Int64 = 16 << 20
  /// Parts (or ranges) in flight at once for one object.
  public var concurrency = 8
  /// Server-side copies of objects this large go as UploadPartCopy parts (CopyObject stops at 5 GiB).
  public var copyPartThreshold: Int64 = 5 << 30
  public var retry = RetryPolicy(attempts: 5, baseDelay: 0.25, maximumDelay: 8)
  /// CA certificates to verify the endpoint's TLS with (`--ca-bundle`, `AWS_CA_BUNDLE`, `ca_bundle`); nil: the system's.
  public var caBundle: String?

  public init(
    endpoint: String?, region: String, credentials: AWSCredentialsProvider, addressing: S3Addressing = .auto
  ) {
    self.endpoint = endpoint.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    self.region = region
    self.credentials = credentials
    self.addressing = addressing
  }

  /// The usual resolution: flags, then the aws CLI's endpoint order (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, the
  /// profile's `services` and `endpoint_url`), `AWS_REGION`… (else us-east-1, as botocore signs S3's global
  /// endpoint), the CA bundle, the credential chain; `AWS_S3_ADDRESSING_STYLE` (path|virtual|auto) when no flag says.
  public static func standard(
    endpoint: String? = nil, region: String? = nil, profile: String? = nil, accessKeyId: String? = nil,
    secretAccessKey: String? = nil, addressing: S3Addressing? = nil, caBundle: String? = nil
  ) -> S3Configuration {
    let settings = AWSSettings.resolve(profile: profile, region: region, caBundle: caBundle)
    let style = addressing ?? Settings.environment("AWS_S3_ADDRESSING_STYLE").flatMap(S3Addressing.init) ?? .auto
    var configuration = S3Configuration(
      endpoint: AWSEndpoint.configured(.s3, flag: endpoint, profile: settings.profile),
      region: settings.region ?? "us-east-1",
      credentials: AWSCredentialChain.standard(
        settings: settings, accessKeyId: accessKeyId, secretAccessKey: secretAccessKey),
      addressing: style)
    configuration.caBundle = settings.caBundle
    return configuration
  }

  /// AWS itself (no custom endpoint, or one under amazonaws.com), not an S3-compatible server.
  var isAWS: Bool { endpoint.map { URL(string: $0)?.host?.hasSuffix(".amazonaws.com") ?? false } ?? true }

  /// The custom endpoint, else AWS's regional one (the environment was read once, in `standard`).
  var baseEndpoint: String {
    endpoint ?? "https://s3.\(region).amazonaws.com" + (region.hasPrefix("cn-") ? ".cn" : "")
  }

  func usesPathStyle(bucket: String) -> Bool {
    switch addressing {
    case .path: return true
    case .virtual: return false
    case .auto: return endpoint != nil || bucket.contains(".")
    }
  }

  /// The object's URL (key encoded once, `/` kept), with an optional raw query string.
  public func url(bucket: String, key: String, query: String? = nil) -> String {
    let encodedKey = key.isEmpty ? "" : HTTPEncoding.path(key)
    let suffix = query.map { "?" + $0 } ?? ""
    let base = baseEndpoint
    if usesPathStyle(bucket: bucket) {
      return "\(base)/\(bucket)" + (key.isEmpty ? "" : "/" + encodedKey) + suffix
    }
    guard let schemeEnd = base.range(of: "://") else { return "\(base)/\(bucket)/\(encodedKey)\(suffix)" }
    return base[..<schemeEnd.upperBound] + bucket + "." + base[schemeEnd.upperBound...] + "/" + encodedKey + suffix
  }
}
