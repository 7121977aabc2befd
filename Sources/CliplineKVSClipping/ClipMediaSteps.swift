import CliplineRecords
import CliplineSystem
import Foundation

/// The steps of a task that need FFmpeg (joining GetClip's pieces, a kept clip's duration, its thumbnail), run in
/// `kvs-clip-media` beside kvs-clip: kvs-clip does not link FFmpeg, so a clip streamed straight into storage never
/// pays for loading its ~180 libraries. The companion is looked for only when a step is needed.
struct ClipMediaSteps {
  static let companion = "kvs-clip-media"
  /// The tool's own: what the companion says goes out in its format (text or JSON), at its level; --verbose is
  /// passed on when it is verbose, so FFmpeg's warnings show.
  let diagnostics: Diagnostics

  func join(_ pieces: [String], into path: String) throws {
    _ = try run(["join", "--output", path] + pieces)
  }

  /// The clip's duration from its own media (65 when it has no audio or video, or no length).
  func duration(of clip: String) throws -> Double {
    let printed = try run(["duration", clip]).trimmingCharacters(in: .whitespacesAndNewlines)
    guard let seconds = Double(printed), seconds.isFinite, seconds > 0 else {
      throw CompanionFailure(
        description: "\(Self.companion) printed \(quoted(printed)) as the duration of \(clip)", exitStatus: .failure)
    }
    return seconds
  }

  func writeThumbnail(of clip: String, to path: String, at seconds: Double?, width: Int) throws {
    var arguments = ["thumbnail", clip, "--output", path, "--width", String(width)]
    if let seconds { arguments += ["--at", String(seconds)] }
    _ = try run(arguments)
  }

  private func run(_ arguments: [String]) throws -> String {
    let verbose = diagnostics.isEnabled(.debug) ? ["--verbose"] : []
    return try CompanionProgram(named: Self.companion).run(arguments + verbose) { line in
      let (level, message) = Self.read(line)
      diagnostics.log(level, "\(Self.companion): \(message)")
    }
  }

  /// A line the companion wrote in its text format (`kvs-clip-media: warning: …`, `kvs-clip-media: …` for
  /// information) as a level and a message; any other line (FFmpeg's own) is a warning, as it is.
  static func read(_ line: String) -> (Diagnostics.Level, String) {
    let prefix = companion + ": "
    guard line.hasPrefix(prefix) else { return (.warning, line) }
    let rest = line.dropFirst(prefix.count)
    for level in [Diagnostics.Level.debug, .warning, .error] where rest.hasPrefix(level.name + ": ") {
      return (level, String(rest.dropFirst(level.name.count + 2)))
    }
    return (.info, String(rest))
  }
}
