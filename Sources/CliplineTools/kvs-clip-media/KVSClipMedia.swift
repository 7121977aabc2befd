import ArgumentParser
import CliplineCLI
import CliplineMedia
import CliplineRecords
import CliplineSystem
import Foundation

struct KVSClipMedia: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kvs-clip-media",
    abstract: "kvs-clip's work on clip files with FFmpeg's libraries: join pieces, read a duration, draw a thumbnail.",
    discussion: """
      kvs-clip runs this program, installed next to it, for the steps that need FFmpeg: joining the pieces of \
      a range GetClip must fetch in several requests, reading a kept clip's duration from its media, and its \
      thumbnail. kvs-clip itself does not link FFmpeg, so the common task (one GetClip streamed into storage) \
      never loads FFmpeg's libraries, which cost about 40 ms of CPU at every start. It works on any MP4 by \
      hand too.

      join writes the pieces (MP4s of one stream, in order) into --output as one MP4 by stream copy, each \
      piece's timestamps moved to start where the previous one ended. duration prints the media's duration in \
      seconds; media with no audio or video stream, or of no length, is refused (65). thumbnail writes a JPEG \
      of the first frame (or the frame --at seconds in), --width pixels wide.

      EXAMPLES:
        kvs-clip-media join -o clip.mp4 clip.part0.mp4 clip.part1.mp4
        kvs-clip-media duration clip.mp4
        kvs-clip-media thumbnail clip.mp4 -o clip.jpg --width 320 --at 5

      \(ExitStatus.documentation) 65: a file is not readable media, or the pieces differ in their streams; \
      66: a file is missing.
      """,
    version: "kvs-clip-media " + cliplineVersion,
    subcommands: [Join.self, Duration.self, Thumbnail.self])

  /// Runs one subcommand's work with FFmpeg's logging and the shared error reporting.
  static func run(_ common: CommonOptions, _ body: () throws -> Void) throws {
    let diagnostics = common.diagnostics(tool: "kvs-clip-media")
    FFmpegLogging.configure(verbose: common.verbose)
    try runTool(diagnostics, body)
  }
}

extension KVSClipMedia {
  struct Join: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Join MP4 pieces of one stream into one MP4 by stream copy.")

    @Option(name: .shortAndLong, help: "The joined MP4.", completion: .file(extensions: ["mp4"]))
    var output: String

    @Argument(help: "The pieces, in order.", completion: .file(extensions: ["mp4"]))
    var pieces: [String]

    @OptionGroup var common: CommonOptions

    func validate() throws {
      guard !pieces.isEmpty else { throw ValidationError("Name at least one piece to join.") }
    }

    func run() throws {
      try KVSClipMedia.run(common) { try ClipJoiner.join(pieces, into: output) }
    }
  }

  struct Duration: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Print the media's duration in seconds; 65 for a file with no audio or video, or of no length.")

    @Argument(help: "The MP4.", completion: .file(extensions: ["mp4"]))
    var clip: String

    @OptionGroup var common: CommonOptions

    func run() throws {
      try KVSClipMedia.run(common) {
        let media = try MediaProbe.info(path: clip)
        guard media.video != nil || media.streams.contains(where: { $0.kind == .audio }) else {
          throw MediaError("\(clip) has no audio or video stream")
        }
        guard let duration = media.durationSeconds, duration > 0 else { throw MediaError("\(clip) is empty") }
        print(duration)
      }
    }
  }

  struct Thumbnail: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a JPEG of one frame of the video.")

    @Argument(help: "The video.", completion: .file(extensions: ["mp4"]))
    var clip: String

    @Option(name: .shortAndLong, help: "The JPEG.", completion: .file(extensions: ["jpg"]))
    var output: String

    @Option(help: "Take the frame this far into the video instead of the first one.")
    var at: DurationArgument?

    @Option(help: "The width in pixels, 16 to 8192 (the height keeps the aspect ratio).")
    var width = 320

    @OptionGroup var common: CommonOptions

    func validate() throws {
      guard (16...8192).contains(width) else { throw ValidationError("--width must be 16-8192.") }
    }

    func run() throws {
      try KVSClipMedia.run(common) {
        try Thumbnailer.writeJPEG(from: clip, to: output, at: at?.seconds, width: width)
      }
    }
  }
}
