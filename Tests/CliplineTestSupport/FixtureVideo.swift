import Foundation

/// Test videos made on the spot with the ffmpeg CLI (never committed): a moving test pattern with a
/// visible clock and a tone, H.264 with a fixed GOP so cut points are predictable.
public enum FixtureVideo {
  public struct Spec: Hashable, Sendable {
    public var seconds: Double = 10
    public var width = 320
    public var height = 240
    public var fps = 25
    public var gopFrames = 25
    public var audio = true
    public var container = "mp4"

    public init(
      seconds: Double = 10, width: Int = 320, height: Int = 240, fps: Int = 25, gopFrames: Int = 25,
      audio: Bool = true, container: String = "mp4"
    ) {
      self.seconds = seconds
      self.width = width
      self.height = height
      self.fps = fps
      self.gopFrames = gopFrames
      self.audio = audio
      self.container = container
    }
  }

  private static let lock = NSLock()
  nonisolated(unsafe) private static var made: [Spec: String] = [:]

  /// The path of a video matching `spec`, made once per test process.
  public static func path(_ spec: Spec = Spec()) throws -> String {
    try lock.withLock {
      if let existing = made[spec], FileManager.default.fileExists(atPath: existing) { return existing }
      let directory = NSTemporaryDirectory() + "clipline-fixtures-\(getpid())"
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      ScratchRemoval.shared.trackUntilTheRunEnds(directory)
      let name =
        "src_\(Int(spec.seconds * 1000))ms_\(spec.width)x\(spec.height)_\(spec.fps)fps_g\(spec.gopFrames)"
        + (spec.audio ? "_a" : "") + ".\(spec.container)"
      let path = (directory as NSString).appendingPathComponent(name)
      try make(spec, at: path)
      made[spec] = path
      return path
    }
  }

  public static func make(_ spec: Spec, at path: String) throws {
    var arguments = [
      "-hide_banner", "-loglevel", "error", "-y",
      "-f", "lavfi", "-i", "testsrc2=size=\(spec.width)x\(spec.height):rate=\(spec.fps):duration=\(spec.seconds)",
    ]
    if spec.audio {
      arguments += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=\(spec.seconds)"]
    }
    arguments += [
      "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
      "-g", "\(spec.gopFrames)", "-keyint_min", "\(spec.gopFrames)", "-sc_threshold", "0",
    ]
    if spec.audio { arguments += ["-c:a", "aac", "-b:a", "64k"] }
    if spec.container == "mp4" { arguments += ["-movflags", "+faststart"] }
    arguments.append(path)
    let result = try ToolInvocation.runProcess("/usr/bin/ffmpeg", arguments)
    guard result.status == 0 else { throw TestFailure("ffmpeg could not make a fixture: \(result.stderr)") }
  }

  /// ffprobe's view of a media file, as JSON (streams and format).
  public static func probe(_ path: String, extra: [String] = []) throws -> [String: Any] {
    let result = try ToolInvocation.runProcess(
      "/usr/bin/ffprobe",
      ["-v", "error", "-print_format", "json", "-show_format", "-show_streams"] + extra + [path])
    guard result.status == 0,
      let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    else { throw TestFailure("ffprobe could not read \(path): \(result.stderr)") }
    return object
  }
}
