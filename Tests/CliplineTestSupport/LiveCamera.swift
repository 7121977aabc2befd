import CliplineAWS
import CliplineHTTP
import CliplineKVS
import CliplineRecords
import CliplineSystem
import Foundation

/// ffmpeg as a camera: a test pattern encoded in real time (-re) and streamed as Matroska into the KVS testbed's
/// PutMedia over HTTP, the way a real producer sends it. Fragments are its GOPs (`fragmentSeconds` long).
public final class LiveCamera {
  public let process = Process()
  public let stream: String

  public struct Settings {
    public var size = "320x180"
    public var framesPerSecond = 15
    public var fragmentSeconds = 0.5
    /// nil: until stopped.
    public var seconds: Double?
    public var audio = false
    public var bFrames = 0
    /// The camera's clock at its first frame (x-amzn-producer-start-timestamp, seconds): nil, the testbed's now.
    public var producerStart: Double?
    /// A constant video bitrate (x264's CBR, padded with filler), e.g. "24M": nil, whatever the encoder makes.
    public var videoBitrate: String?

    public init(
      size: String = "320x180", framesPerSecond: Int = 15, fragmentSeconds: Double = 0.5, seconds: Double? = nil,
      audio: Bool = false, bFrames: Int = 0, producerStart: Double? = nil,
      videoBitrate: String? = nil
    ) {
      self.size = size
      self.framesPerSecond = framesPerSecond
      self.fragmentSeconds = fragmentSeconds
      self.seconds = seconds
      self.audio = audio
      self.bFrames = bFrames
      self.producerStart = producerStart
      self.videoBitrate = videoBitrate
    }
  }

  public init(_ testbed: KVSTestbed, stream: String, _ settings: Settings = Settings()) throws {
    self.stream = stream
    let gop = String(max(1, Int((Double(settings.framesPerSecond) * settings.fragmentSeconds).rounded())))
    var arguments = ["-v", "error", "-nostdin", "-re", "-f", "lavfi"]
    arguments += ["-i", "testsrc2=size=\(settings.size):rate=\(settings.framesPerSecond)"]
    if settings.audio { arguments += ["-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"] }
    if let seconds = settings.seconds { arguments += ["-t", String(seconds)] }
    arguments += ["-c:v", "libx264", "-preset", settings.bFrames > 0 ? "veryfast" : "ultrafast"]
    arguments += ["-g", gop, "-keyint_min", gop, "-sc_threshold", "0", "-bf", String(settings.bFrames)]
    arguments += ["-pix_fmt", "yuv420p"]
    if let rate = settings.videoBitrate {
      arguments += ["-b:v", rate, "-minrate", rate, "-maxrate", rate, "-bufsize", rate, "-x264-params", "nal-hrd=cbr"]
    }
    if settings.audio { arguments += ["-c:a", "aac", "-b:a", "64k"] }
    arguments += ["-f", "matroska", "-cluster_time_limit", "100", "-method", "POST"]
    var headers = "x-amzn-stream-name: \(stream)\r\n"
    if let start = settings.producerStart { headers += "x-amzn-producer-start-timestamp: \(start)\r\n" }
    arguments += ["-headers", headers, testbed.endpoint + "/putMedia"]
    process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
    process.arguments = arguments
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    try process.run()
  }

  deinit { stop() }

  /// Ends the stream as a camera going offline does: ffmpeg closes its request (SIGINT lets it end the body).
  public func stop() {
    guard process.isRunning else { return }
    kill(process.processIdentifier, SIGINT)
    process.waitUntilExit()
  }

  /// Waits for ffmpeg to end by itself (a camera run for `seconds`).
  public func waitUntilDone() { process.waitUntilExit() }
}

extension KVSTestbed {
  /// What a client on another thread needs to reach the testbed.
  public struct Access: Sendable {
    public let endpoint: String
    public let accessKeyId: String
    public let secretAccessKey: String
    public let region: String

    public func client(stallTimeout: Double = 30) -> KVSClient {
      var configuration = KVSConfiguration(
        endpoint: endpoint, region: region,
        credentials: StaticCredentialsProvider(
          AWSCredentials(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey)))
      configuration.retry = RetryPolicy(attempts: 6, baseDelay: 0.05, maximumDelay: 0.5)
      var options = HTTPClient.Options()
      options.stallTimeout = stallTimeout
      return KVSClient(configuration: configuration, http: HTTPClient(options: options))
    }
  }

  public var access: Access {
    Access(endpoint: endpoint, accessKeyId: accessKeyId, secretAccessKey: secretAccessKey, region: region)
  }

  /// Sessions started from now on end, without an error, after `seconds` (AWS's are about 45 minutes).
  public func cutMediaSessions(after seconds: Double) throws {
    try control("media/session", ["seconds": .double(seconds)])
  }

  /// The camera's next `seconds` are dropped: it sent nothing.
  public func quiet(_ stream: String, for seconds: Double) throws {
    try control("media/quiet", ["stream": .string(stream), "seconds": .double(seconds)])
  }

  /// The next GetMedia session of `stream` reports error `code` inside its body after `after` fragments, then ends.
  public func mediaError(_ stream: String, code: Int, after: Int) throws {
    try control(
      "media/error", ["stream": .string(stream), "code": .integer(Int64(code)), "after": .integer(Int64(after))])
  }

  /// The fragments PutMedia made of `stream`, oldest first: number, server and producer times, duration, bytes.
  public func fragments(_ stream: String) throws -> [[String: JSONValue]] {
    let query = HTTPClient.percentEncode(stream)
    let response = try HTTPClient().send(HTTPRequest(url: endpoint + "/_clipline/media/fragments?stream=" + query))
      .checked()
    let answer = try JSONParser.parse(response.body)
    return answer.objectValue?["Fragments"]?.arrayValue?.compactMap(\.objectValue) ?? []
  }

  /// Waits until PutMedia made at least `count` whole fragments of `stream`.
  @discardableResult
  public func waitForFragments(_ stream: String, count: Int, timeout: Double = 30) throws -> [[String: JSONValue]] {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      let whole = try fragments(stream).filter { $0["complete"]?.boolValue == true }
      if whole.count >= count { return whole }
      Thread.sleep(forTimeInterval: 0.1)
    }
    throw TestFailure("the camera of \(stream) made fewer than \(count) fragments in \(Int(timeout)) s")
  }
}
