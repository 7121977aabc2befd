import CliplineTestSupport
import Foundation

/// How one tool is run by the tests that run every tool the same way (`EveryToolStopsTests`,
/// `EveryToolUnderLimitsTests`), and what it may exit with. A new tool gets its row in `all`.
struct ToolRow {
  var arguments: [String]
  /// Reads records on stdin (so it waits for them, and ends when stdin ends).
  var readsRecords = true
  /// Exit codes when there is no input (stdin closed or empty).
  var noInput: Set<Int32> = [0]
  /// Exit codes when a stop signal came before or during the run.
  var stopped: Set<Int32> = [75]
  /// Input that makes it do its work (open files, sockets, memory), and the exit codes that work may end with.
  var work = ""
  var worked: Set<Int32> = [0]

  /// Waits for `run` to end: every tool ends by itself once its input has (a minute is a hang).
  func end(_ run: ProcessRun) throws -> ProcessRun.Ended { try run.finish(within: 60) }

  /// One row per tool; the services come from the environment (RabbitMQ), the rest is made here.
  static func all(in scratch: ScratchDirectory) throws -> [String: ToolRow] {
    let broker = try TestServices.require("AMQP_URL")
    let queue = "every-tool-\(UUID().uuidString.prefix(8))"
    let declared = try ToolInvocation.run("amqp-pub", ["-u", broker, "-q", queue, "--declare"])
    guard declared.status == 0 else { throw TestFailure("cannot declare \(queue): \(declared.stderr)") }
    let video = try FixtureVideo.path(FixtureVideo.Spec(seconds: 2, audio: false))
    // Nothing listens on port 9 of loopback: a tool that must reach a service fails at once (69).
    let nowhere = "http://127.0.0.1:9"
    let keys = ["--access-key-id", "AKIDEXAMPLE", "--secret-access-key", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"]
    let request =
      #"{"process_id":1,"inference_modality":"batch","cloud_stream_path":"\#(video)","#
      + #""destination_prefix":"p/","cache_container_name":"cache","video_preprocessing":{"chunk_duration":1}}"#
    let chunkRecord = #"{"a":1,"p":"\#(video)","chunk_path":"\#(video)","chunk_id":1,"start_time":0,"end_time":1}"#
    return [
      "chunk": ToolRow(arguments: ["-o", scratch.file("chunks")], work: request + "\n"),
      "blob-put": ToolRow(arguments: ["--to", "file://\(scratch.path)/put/{a}=p"], work: chunkRecord + "\n"),
      "blob-get": ToolRow(
        arguments: ["file://\(video)", "-o", scratch.file("got.mp4")], readsRecords: false, stopped: [0, 75]),
      "blob-rm": ToolRow(arguments: ["--field", "p"], work: #"{"p":"file://\#(scratch.path)/gone.mp4"}"# + "\n"),
      "amqp-pub": ToolRow(arguments: ["-u", broker, "-q", queue], work: chunkRecord + "\n"),
      "amqp-consume": ToolRow(
        arguments: ["-u", broker, "-q", queue, "--idle-timeout", "1s"], readsRecords: false, stopped: [0]),
      "amqp-dlq": ToolRow(arguments: ["list", "-u", broker, "-q", queue], readsRecords: false, stopped: [0, 75]),
      "kvs-discover": ToolRow(
        arguments: ["--endpoint-url", nowhere, "--region", "us-east-1"] + keys, readsRecords: false,
        noInput: [69], stopped: [69, 75], worked: [69]),
      "kvs-clip": ToolRow(arguments: ["--endpoint-url", nowhere, "--region", "us-east-1"] + keys),
      "kvs-clip-media": ToolRow(arguments: ["duration", video], readsRecords: false, stopped: [0, 75]),
      // Follows until told to stop (then 0, leaving the window under way); no camera on stdin: nothing to follow.
      "kvs-follow": ToolRow(
        arguments: [
          "--window", "10s", "--state", "file://\(scratch.path)/follow-state", "--endpoint-url", nowhere, "--region",
          "us-east-1",
        ] + keys, readsRecords: false, stopped: [0]),
      "gql-mutate": ToolRow(
        arguments: ["--op", "create-chunk", "--endpoint", nowhere, "--attempts", "1"], work: request + "\n",
        worked: [65, 69]),
      "record-shape": ToolRow(arguments: ["--keep", "a"], work: chunkRecord + "\n"),
      "m0-submit": ToolRow(arguments: ["-u", broker, "--queue", queue], work: request + "\n"),
      "contact-sheet": ToolRow(arguments: ["-o", scratch.file("sheet.png")], noInput: [65], work: chunkRecord + "\n"),
    ]
  }
}
