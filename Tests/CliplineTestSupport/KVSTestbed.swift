import CliplineAWS
import CliplineHTTP
import CliplineKVS
import CliplineRecords
import CliplineSystem
import Foundation

/// The KVS test endpoint `scripts/services.d/kvs` starts (moto patched by scripts/testbeds/kvs_server.py):
/// streams made through its control path, failures injected, calls counted.
public final class KVSTestbed {
  /// 90 s, 2 s fragments (GOP 50 at 25 fps), like a camera's stream.
  public static let camera = FixtureVideo.Spec(seconds: 90, width: 160, height: 120, fps: 25, gopFrames: 50)

  public let endpoint: String
  public let accessKeyId: String
  public let secretAccessKey: String
  public let region: String
  private let http = HTTPClient()

  public init(fileID: String = #fileID) throws {
    endpoint = try TestServices.require("AWS_ENDPOINT_URL_KINESIS_VIDEO", fileID: fileID)
    accessKeyId = try TestServices.require("KVS_TEST_AWS_ACCESS_KEY_ID", fileID: fileID)
    secretAccessKey = try TestServices.require("KVS_TEST_AWS_SECRET_ACCESS_KEY", fileID: fileID)
    region = ProcessInfo.processInfo.environment["KVS_TEST_AWS_REGION"] ?? "us-east-1"
    try control("reset")
  }

  /// The environment a tool run needs: the endpoint and the testbed's credentials, and nothing of the caller's.
  public func environment(home: String) -> [String: String] {
    [
      "AWS_ENDPOINT_URL_KINESIS_VIDEO": endpoint, "AWS_ACCESS_KEY_ID": accessKeyId,
      "AWS_SECRET_ACCESS_KEY": secretAccessKey, "AWS_REGION": region, "HOME": home, "XDG_CACHE_HOME": home + "/cache",
    ]
  }

  public static let removedEnvironment = [
    "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "CLIPLINE_WORK_DIR",
    "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_CA_BUNDLE", "REDIS_URL", "REDIS_HOST", "REDIS_PORT",
    "REDIS_PASSWORD", "S2_CLIP_DURATION",
  ]

  public func client(attempts: Int = 6) -> KVSClient {
    var configuration = KVSConfiguration(
      endpoint: endpoint, region: region,
      credentials: StaticCredentialsProvider(AWSCredentials(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey))
    )
    configuration.retry = RetryPolicy(attempts: attempts, baseDelay: 0.05, maximumDelay: 0.5)
    return KVSClient(configuration: configuration)
  }

  /// Creates a stream (a unique name per call) whose media is `video`, starting at producer time `mediaStart`.
  @discardableResult
  public func createStream(
    _ prefix: String, video: String? = nil, mediaStart: String = "2026-02-26T14:30:00Z", status: String? = nil,
    tags extra: [String: String] = [:]
  ) throws -> (name: String, arn: String) {
    let name = "\(prefix)-\(UUID().uuidString.prefix(8))"
    var tags = extra
    if let video {
      tags["clipline:media"] = video
      tags["clipline:media_start"] = mediaStart
    }
    if let status { tags["clipline:status"] = status }
    let answer = try control(
      "streams", ["name": .string(name), "tags": .object(tags.mapValues { .string($0) })])
    guard let arn = answer["StreamARNs"]?.arrayValue?.first?.stringValue else {
      throw TestFailure("the testbed made no stream \(name)")
    }
    return (name, arn)
  }

  public func createStreams(prefix: String, count: Int) throws {
    try control("streams", ["prefix": .string(prefix), "count": .integer(Int64(count))])
  }

  /// The next `count` calls of `operation` fail with `error`.
  public func inject(_ operation: String, error: String, count: Int = 1, status: Int = 400, message: String? = nil)
    throws
  {
    var body: [String: JSONValue] = [
      "operation": .string(operation), "error": .string(error), "count": .integer(Int64(count)),
      "status": .integer(Int64(status)),
    ]
    if let message { body["message"] = .string(message) }
    try control("inject", body)
  }

  /// Calls per operation since the last reset.
  public func requests() throws -> [String: Int] {
    let response = try http.send(HTTPRequest(url: endpoint + "/_clipline/requests")).checked()
    guard case .object(let object) = try JSONParser.parse(response.body) else { return [:] }
    return object.compactMapValues { $0.integerValue.map(Int.init) }
  }

  public func reset() throws { try control("reset") }

  /// The next `count` GetDataEndpoint answers name `url` (an endpoint that went away).
  public func moveDataEndpoint(to url: String, count: Int = 1) throws {
    try control("endpoint", ["url": .string(url), "count": .integer(Int64(count))])
  }

  /// Deletes a stream (a name or an ARN), as DeleteStream does.
  public func deleteStream(_ name: String) throws { try control("streams/delete", ["name": .string(name)]) }

  @discardableResult
  func control(_ path: String, _ body: [String: JSONValue] = [:]) throws -> [String: JSONValue] {
    let request = HTTPRequest(
      method: "POST", url: endpoint + "/_clipline/" + path, headers: [("Content-Type", "application/json")],
      body: .bytes(JSONSerializer.bytes(.object(body))))
    let response = try http.send(request).checked()
    return (try? JSONParser.parse(response.body))?.objectValue ?? [:]
  }

  /// Runs a KVS tool against the testbed.
  public func run(_ tool: String, _ arguments: [String], stdin: String = "", home: String) throws -> ToolResult {
    try ToolInvocation.run(
      tool, arguments, stdin: stdin, environment: environment(home: home),
      removingEnvironment: Self.removedEnvironment)
  }
}

/// Media facts the tests check with the ffmpeg tools (independent of our libav* code).
public enum MediaCheck {
  /// The MD5 of the first decoded video frame at `offset` seconds (exact: decoding seeks accurately).
  public static func frameMD5(_ path: String, at offset: Double? = nil) throws -> String {
    var arguments = ["-v", "error"]
    if let offset { arguments += ["-ss", String(format: "%.3f", offset)] }
    arguments += ["-i", path, "-map", "0:v:0", "-frames:v", "1", "-f", "framemd5", "-"]
    let result = try ToolInvocation.runProcess("/usr/bin/ffmpeg", arguments)
    guard result.status == 0, let last = result.stdoutLines.last(where: { !$0.hasPrefix("#") }) else {
      throw TestFailure("ffmpeg framemd5 failed for \(path): \(result.stderr)")
    }
    return String(last.split(separator: ",").last!).trimmingCharacters(in: .whitespaces)
  }

  public static func duration(_ path: String) throws -> Double {
    let probe = try FixtureVideo.probe(path)
    guard let format = probe["format"] as? [String: Any], let text = format["duration"] as? String,
      let seconds = Double(text)
    else { throw TestFailure("no duration for \(path)") }
    return seconds
  }

  /// How many video frames decode, and what ffmpeg complained about while decoding everything.
  public static func decodeAll(_ path: String) throws -> (frames: Int, errors: String) {
    let result = try ToolInvocation.runProcess(
      "/usr/bin/ffprobe",
      [
        "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries", "stream=nb_read_frames", "-of",
        "csv=p=0", path,
      ])
    let decode = try ToolInvocation.runProcess("/usr/bin/ffmpeg", ["-v", "error", "-i", path, "-f", "null", "-"])
    return (Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1, result.stderr + decode.stderr)
  }
}
