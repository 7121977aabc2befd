import CliplineRecords
import Foundation

/// scripts/testbeds/aws_identity_server.py: moto's server with its IAM authorization on (every signature verified,
/// every action checked against the caller's policies), seeded with users and roles, plus an SSO portal. One plain
/// and one TLS instance per test process, stopped when the process ends.
public final class AWSIdentityServer: @unchecked Sendable {
  public struct Keys: Sendable {
    public let accessKeyId: String
    public let secretAccessKey: String
  }

  public let endpoint: String
  public let source: Keys
  public let reader: Keys
  public let roles: [String: String]
  public let ssoToken: String
  public let accountId: String
  /// With TLS: the directory holding `ca.pem` (which signed the server's certificate) and `other-ca.pem`.
  public let tlsDirectory: ScratchDirectory?
  private let process: Process

  nonisolated(unsafe) private static var running: [Bool: AWSIdentityServer] = [:]
  private static let lock = NSLock()

  public static func shared(tls: Bool = false) throws -> AWSIdentityServer {
    try lock.withLock {
      if let server = running[tls] { return server }
      let started = try AWSIdentityServer(tls: tls)
      running[tls] = started
      if running.count == 1 {
        atexit { for server in AWSIdentityServer.running.values { server.process.terminate() } }
      }
      return started
    }
  }

  public var caFile: String { tlsDirectory?.file("ca.pem") ?? "" }
  public var otherCAFile: String { tlsDirectory?.file("other-ca.pem") ?? "" }

  private init(tls: Bool) throws {
    let script = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
        "scripts/testbeds/aws_identity_server.py"
      ).path
    // One server per process, shared by the tests: its certificates last the run.
    tlsDirectory = tls ? try ScratchDirectory("aws-identity-tls", lastingTheRun: true) : nil
    process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", script] + (tlsDirectory.map { ["--tls", $0.path] } ?? [])
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    var line = Data()
    while !line.contains(UInt8(ascii: "\n")) {
      let more = output.fileHandleForReading.availableData
      if more.isEmpty { break }
      line += more
    }
    guard case .object(let answer)? = try? JSONParser.parse(Array(line)),
      let endpoint = answer["endpoint"]?.stringValue, case .object(let roles)? = answer["roles"],
      let source = Self.keys(answer["source"]), let reader = Self.keys(answer["reader"]),
      let sso = answer["sso"]?.objectValue, let token = sso["token"]?.stringValue,
      let account = answer["account_id"]?.stringValue
    else {
      process.terminate()
      throw TestFailure(
        "aws_identity_server.py did not start (needs moto[server] and boto3: scripts/setup): "
          + String(decoding: line, as: UTF8.self))
    }
    self.endpoint = endpoint
    self.source = source
    self.reader = reader
    self.roles = roles.compactMapValues { $0.stringValue }
    ssoToken = token
    accountId = account
  }

  private static func keys(_ value: JSONValue?) -> Keys? {
    guard let object = value?.objectValue, let id = object["access_key_id"]?.stringValue,
      let secret = object["secret_access_key"]?.stringValue
    else { return nil }
    return Keys(accessKeyId: id, secretAccessKey: secret)
  }

  /// The roles moto handed out so far: role ARN, session name, external id, access key id.
  public func assumedRoles() throws -> [[String: JSONValue]] {
    guard case .object(let data) = try get("/moto-api/data.json"), case .object(let sts)? = data["sts"],
      case .array(let roles)? = sts["AssumedRole"]
    else { throw TestFailure("moto's data.json has no sts.AssumedRole") }
    return roles.compactMap { $0.objectValue }
  }

  /// GetRoleCredentials calls the portal answered.
  public func portalCalls() throws -> Int {
    Int(try get("/_clipline/requests").objectValue?["GetRoleCredentials"]?.integerValue ?? 0)
  }

  /// A JSON answer, fetched with curl (a client independent of the code under test).
  private func get(_ path: String) throws -> JSONValue {
    let result = try ToolInvocation.runProcess(
      "/usr/bin/curl", (tlsDirectory == nil ? [] : ["--cacert", caFile]) + ["-sf", endpoint + path])
    guard result.status == 0, let value = try? JSONParser.parse(Array(result.stdout.utf8)) else {
      throw TestFailure("\(endpoint + path) did not answer with JSON: \(result.stderr)")
    }
    return value
  }
}
