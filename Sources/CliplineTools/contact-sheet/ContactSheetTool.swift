import ArgumentParser
import CliplineBlobStores
import CliplineCLI
import CliplineMedia
import CliplineRecords
import CliplineSources
import CliplineSystem
import Foundation

struct ContactSheetTool: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "contact-sheet",
    abstract: "Draw one PNG with a thumbnail per chunk record, its id and times under it.",
    discussion: """
      Reads chunk records (what chunk writes, or the messages on M0_RESULTS_QUEUE), one JSON object a line, \
      and after the input ends writes one PNG: a thumbnail per chunk, in chunk_id order, --columns to a row, \
      with "#ID  START-END S" under each and, for live chunks, the wall-clock times. The pictures are decoded, \
      scaled and encoded in process with FFmpeg's libraries (the code kvs-clip's thumbnails use).

      RECORD FIELDS: reads chunk_path (the local chunk file) when that file exists, else cloud_stream_path (the \
      stored chunk: file://, s3://, az:// or http(s)://, downloaded to a temporary directory and removed \
      afterwards); chunk_id, start_time, end_time, chunk_duration (the picture is taken in the middle of the \
      chunk; without it, the first frame), chunk_start_time and chunk_end_time (live). WRITES one record: \
      contact_sheet_path, contact_sheet_width and contact_sheet_height (pixels), tiles (how many chunks).

      EXAMPLES:
        chunk --source /videos/cam.mp4 --chunk-duration 20s \\
          | contact-sheet -o /tmp/cam.png
        amqp-consume --queue M0_RESULTS_QUEUE --idle-timeout 2s \\
          | contact-sheet -o job.png --columns 6

      ENVIRONMENT: as blob-get for stored chunks (AWS_*, AZURE_STORAGE_*).

      \(ExitStatus.documentation) 65: a line is not a JSON object, a record has neither chunk_path nor \
      cloud_stream_path, or a chunk has no picture; 66: a chunk file is missing. Nothing is written unless every \
      chunk has its picture.
      """,
    version: "contact-sheet " + cliplineVersion)

  @Option(name: .shortAndLong, help: "Where to write the PNG.", completion: .file(extensions: ["png"]))
  var output: String

  @Option(help: "Thumbnails per row.")
  var columns = 4

  @Option(help: "Thumbnail width in pixels (the height keeps the video's aspect ratio).")
  var tileWidth = 240

  @OptionGroup var common: CommonOptions

  func validate() throws {
    guard columns >= 1 else { throw ValidationError("--columns must be at least 1.") }
    guard (16...4096).contains(tileWidth) else { throw ValidationError("--tile-width must be between 16 and 4096.") }
  }

  func run() throws {
    let diagnostics = common.diagnostics(tool: "contact-sheet")
    FFmpegLogging.configure(verbose: common.verbose)
    try runTool(diagnostics) {
      let work = try WorkDirectory.resolve(flag: nil, prefix: "contact-sheet")
      defer { if work.isCreatedHere { work.remove() } }
      let fetcher = SourceFetcher.standard()
      var tiles: [(order: Double, tile: ContactSheet.Tile)] = []
      try RecordLoop(diagnostics: diagnostics, stopAtFirstFailure: true).run { record, line in
        let video = try localVideo(for: record, fetcher: fetcher, in: work, index: tiles.count)
        let id = record["chunk_id"]?.textValue ?? String(tiles.count + 1)
        let label = ContactSheet.chunkLabel(
          id: id, start: record["start_time"]?.doubleValue, end: record["end_time"]?.doubleValue,
          startTime: record["chunk_start_time"]?.stringValue, endTime: record["chunk_end_time"]?.stringValue)
        let tile = ContactSheet.Tile(
          videoPath: video, at: record["chunk_duration"]?.doubleValue.map { $0 / 2 }, label: label)
        tiles.append((record["chunk_id"]?.doubleValue ?? Double(tiles.count), tile))
      }
      let ordered = tiles.enumerated().sorted { ($0.element.order, $0.offset) < ($1.element.order, $1.offset) }
        .map(\.element.tile)
      let size = try ContactSheet.write(
        ordered, layout: ContactSheet.Layout(columns: columns, tileWidth: tileWidth), to: output)
      try RecordWriter().write(
        Record([
          "contact_sheet_path": .string(output), "contact_sheet_width": .integer(Int64(size.width)),
          "contact_sheet_height": .integer(Int64(size.height)), "tiles": .integer(Int64(ordered.count)),
        ]))
      diagnostics.info("wrote \(output): \(ordered.count) chunks, \(size.width)x\(size.height)")
    }
  }

  /// The chunk's file: its local copy when there is one, else its stored URL brought to the work directory.
  private func localVideo(for record: Record, fetcher: SourceFetcher, in work: WorkDirectory, index: Int) throws
    -> String
  {
    if let path = record["chunk_path"]?.stringValue, FileManager.default.isReadableFile(atPath: path) { return path }
    guard record["cloud_stream_path"] != nil else {
      if record["chunk_path"] != nil { return try record.requireString("chunk_path") }
      throw InputError.missingField("cloud_stream_path")
    }
    let directory = WorkDirectory(path: work.file(String(index)), isCreatedHere: false)
    try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
    return try fetcher.localFile(for: try record.requireString("cloud_stream_path"), in: directory).path
  }
}
