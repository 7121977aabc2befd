import ArgumentParser
import CliplineCLI
import CliplineRecords
import CliplineSystem

struct RecordShapeTool: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "record-shape",
    abstract: "Keep, drop, rename or set fields of each record, so a pipe hands another service exactly its message.",
    discussion: """
      Reads JSON records, one a line, and writes each one reshaped. The steps run in this order, whatever the \
      order of the flags:
        1. --rename OLD=NEW moves a field (its value unchanged, any JSON type); a missing OLD is an error.
        2. --keep FIELDS keeps only these fields (names after renaming); a kept field the record lacks is \
      simply absent. --drop FIELDS removes these.
        3. --set FIELD=TEMPLATE sets a string made from {field} holes of the record as it came in (so a field \
      dropped in step 2 can still fill a hole; {chunk_id:03} pads with zeros). --set-json FIELD=JSON sets a \
      literal JSON value (a number, an object, ...).
      FIELDS is a comma-separated list; --keep, --drop, --rename, --set and --set-json may be repeated. Values \
      that are not renamed or set are written back unchanged.

      RECORD FIELDS: reads the fields the flags name; writes the record with the changes above, nothing else.

      EXAMPLES:
        kvs-clip \\
          --to 's3://videos/live/{camera_id}/{start_time}.mp4=cloud_stream_path' \\
          | record-shape --rename clip_start_time=live_start_time \\
              --keep process_id,cloud_stream_path,live_start_time,inference_config \\
              --set inference_modality=live \\
              --set 'destination_prefix=processed/live/{camera_id}/{process_id}/' \\
              --set cache_container_name=spectra-cache \\
              --set-json 'video_preprocessing={"chunk_duration":60,"fps":15}'
        ... | record-shape \\
          --keep process_id,chunk_id,chunk_hash,cloud_stream_path,start_time,end_time
        ... | record-shape --drop chunk_path,etag,sha256

      \(ExitStatus.documentation) 64: a flag does not parse; 65: a line is not a JSON object, or lacks a field \
      that --rename or a --set template needs (nothing is written for it; the other records go on).
      """,
    version: "record-shape " + cliplineVersion)

  @Option(
    name: .customLong("rename"),
    help: ArgumentHelp("Move field OLD to NEW (repeatable).", valueName: "old=new"))
  var renames: [String] = []

  @Option(help: ArgumentHelp("Keep only these fields, comma-separated (repeatable).", valueName: "fields"))
  var keep: [String] = []

  @Option(help: ArgumentHelp("Remove these fields, comma-separated (repeatable).", valueName: "fields"))
  var drop: [String] = []

  @Option(
    help: ArgumentHelp("Set FIELD to a string template such as processed/{process_id}/.", valueName: "field=template"))
  var set: [String] = []

  @Option(help: ArgumentHelp("Set FIELD to a literal JSON value.", valueName: "field=json"))
  var setJson: [String] = []

  @OptionGroup var common: CommonOptions

  func validate() throws {
    if !keep.isEmpty && !drop.isEmpty {
      throw ValidationError("--keep and --drop exclude each other: list what stays, or what goes.")
    }
    do {
      _ = try shape()
    } catch let error as RecordShape.SyntaxError {
      throw ValidationError(error.description)
    }
  }

  func shape() throws -> RecordShape {
    try RecordShape(renames: renames, keep: keep, drop: drop, set: set, setJSON: setJson)
  }

  func run() throws {
    let diagnostics = common.diagnostics(tool: "record-shape")
    try runTool(diagnostics) {
      let shape = try shape()
      let writer = RecordWriter()
      try RecordLoop(diagnostics: diagnostics).run { record, _ in try writer.write(try shape.apply(to: record)) }
    }
  }
}
