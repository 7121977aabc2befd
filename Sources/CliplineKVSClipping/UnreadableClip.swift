import CliplineSystem

/// What GetClip returned is not a clip: empty, not an MP4, or media with no audio or video (65).
struct UnreadableClip: Error, CustomStringConvertible, ExitStatusProviding {
  let description: String
  init(_ description: String) { self.description = description }
  var exitStatus: ExitStatus { .dataError }
}
