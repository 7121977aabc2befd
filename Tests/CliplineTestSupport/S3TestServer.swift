import CliplineAWS
import CliplineBlobStores
import CliplineRecords
import CliplineSystem
import Foundation

/// The S3 server the storage suite runs against: SeaweedFS (`scripts/services start s3`), with the identity it
/// verifies SigV4 against; or, in scripts/test's second pass, moto's server at `AWS_ENDPOINT_URL_S3`, which checks
/// neither signatures nor checksums.
public struct S3TestServer {
  public let endpoint: String
  public let accessKeyId: String
  public let secretAccessKey: String
  public let region: String

  public init(endpoint: String, accessKeyId: String, secretAccessKey: String, region: String) {
    self.endpoint = endpoint
    self.accessKeyId = accessKeyId
    self.secretAccessKey = secretAccessKey
    self.region = region
  }

  public static func require(fileID: String = #fileID) throws -> S3TestServer {
    S3TestServer(
      endpoint: try TestServices.require("AWS_ENDPOINT_URL_S3", fileID: fileID),
      accessKeyId: try TestServices.require("CLIPLINE_TEST_S3_ACCESS_KEY_ID", fileID: fileID),
      secretAccessKey: try TestServices.require("CLIPLINE_TEST_S3_SECRET_ACCESS_KEY", fileID: fileID),
      region: ProcessInfo.processInfo.environment["CLIPLINE_TEST_S3_REGION"] ?? "us-east-1")
  }

  public func configuration(secret: String? = nil) -> S3Configuration {
    var configuration = S3Configuration(
      endpoint: endpoint, region: region,
      credentials: StaticCredentialsProvider(
        AWSCredentials(accessKeyId: accessKeyId, secretAccessKey: secret ?? secretAccessKey)),
      addressing: .path)
    configuration.retry = RetryPolicy(attempts: 3, baseDelay: 0.05, maximumDelay: 0.5)
    return configuration
  }

  public func store(partSize: Int64 = 5 << 20, concurrency: Int = 4) -> S3Store {
    var configuration = configuration()
    configuration.partSize = partSize
    configuration.multipartThreshold = partSize
    configuration.concurrency = concurrency
    return S3Store(configuration: configuration)
  }

  /// A fresh bucket, so tests never see each other's objects.
  public func makeBucket(_ label: String) throws -> String {
    let name = "clipline-\(label)-\(UInt32.random(in: 0...UInt32.max))"
    try store().createBucket(name)
    return name
  }

  /// What a tool run needs to reach this server (and nothing else: no instance metadata probing).
  public var toolEnvironment: [String: String] {
    [
      "AWS_ENDPOINT_URL_S3": endpoint, "AWS_ACCESS_KEY_ID": accessKeyId, "AWS_SECRET_ACCESS_KEY": secretAccessKey,
      "AWS_REGION": region, "AWS_EC2_METADATA_DISABLED": "true",
    ]
  }

  public static let unrelatedVariables = ["AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"]

  /// Runs a built tool against this server: its endpoint and credentials (`environment` added over them), none of
  /// the caller's unrelated AWS settings.
  public func runTool(_ tool: String, _ arguments: [String], stdin: String = "", environment: [String: String] = [:])
    throws -> ToolResult
  {
    try ToolInvocation.run(
      tool, arguments, stdin: stdin, environment: toolEnvironment.merging(environment) { _, new in new },
      removingEnvironment: Self.unrelatedVariables)
  }
}

/// Random bytes in a file (incompressible, like video), straight from the kernel's generator.
public func writeRandomFile(_ path: String, bytes: Int) throws {
  guard let random = FileHandle(forReadingAtPath: "/dev/urandom") else { throw TestFailure("no /dev/urandom") }
  defer { try? random.close() }
  guard FileManager.default.createFile(atPath: path, contents: nil),
    let output = FileHandle(forWritingAtPath: path)
  else { throw TestFailure("cannot write \(path)") }
  defer { try? output.close() }
  var remaining = bytes
  while remaining > 0 {
    let piece = try random.read(upToCount: min(remaining, 4 << 20)) ?? Data()
    try output.write(contentsOf: piece)
    remaining -= piece.count
  }
}

public func sha256Hex(ofFile path: String) throws -> String {
  try FileDigests.of(path).sha256.map { String(format: "%02x", $0) }.joined()
}
