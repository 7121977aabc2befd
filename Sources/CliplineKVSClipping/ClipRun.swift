import CliplineBlobStores
import CliplineKVS
import CliplineRecords
import CliplineSystem
import CliplineTelemetry
import Foundation

/// The time each step of one task took, for its log line; a step that is one of a handler's stages is also a step
/// of that stage in the tool's figures (`ToolMetrics`).
final class StepTimes {
  private(set) var steps: [(name: String, seconds: Double)] = []

  func timed<T>(_ step: String, stage: ToolMetrics.Stage? = nil, _ body: () throws -> T) rethrows -> T {
    let began = Date()
    defer {
      steps.append((step, Date().timeIntervalSince(began)))
      if let stage { ToolMetrics.stage(stage, since: began) }
    }
    return try body()
  }
}

/// One task's clip on its way: GetClip's pieces into storage, into the work directory, or both.
struct ClipRun {
  let record: Record
  let task: ClipTask
  let pieces: [ClipPiece]
  let clip: ClipRequest
  let options: ClipExtractor.Options
  let media: ClipMediaSteps
  let times: StepTimes

  var directory: String { (options.workDirectory as NSString).appendingPathComponent(task.cameraId) }
  /// The clip's file name: its start time in key form, as `--to` writes it into keys (one instant, one name).
  var baseName: String { BlobKeyPolicy.keyForm(task.startTime) }
  var clipPath: String { (directory as NSString).appendingPathComponent(baseName + ".mp4") }
  /// Whether the clip is written to the work directory: without `--to`, or to keep it or make its thumbnail.
  var keepsFile: Bool { options.upload == nil || options.keepLocal || options.thumbnail }

  /// The record with the upload's fields (when stored), the clip's size, and its duration when it was read from a
  /// local file (`probe`).
  func transfer(probe: (String) throws -> Double) throws -> (output: Record, size: Int64, duration: Double?) {
    var output = record
    var size: Int64
    if let upload = options.upload, pieces.count == 1 {
      output = try streamToStorage(upload)
      size = output["clip_bytes"]?.integerValue ?? 0
    } else {
      size = try downloadToFile()
    }
    let duration = keepsFile ? try probe(clipPath) : nil
    if let upload = options.upload, pieces.count > 1 {
      // Joined pieces exist only as a file: that file is uploaded (and removed unless it is to be kept).
      output = try times.timed("upload") { try upload.upload(record, body: .file(clipPath), stem: "clip") }
      if !options.keepLocal && !options.thumbnail { unlink(clipPath) }
    }
    return (output, size, duration)
  }

  /// GetClip's body straight into the upload (and to the local copy, when one is asked for).
  private func streamToStorage(_ upload: RecordUploader) throws -> Record {
    let local = keepsFile ? try LocalCopy(directory: directory, path: clipPath) : nil
    let output: Record
    do {
      output = try times.timed("download+upload") {
        try upload.upload(
          record,
          body: .stream(name: baseName + ".mp4") { body in
            try clip.stream(pieces[0], announcing: { try body.expect(bytes: $0) }) { bytes in
              try local?.write(bytes)
              try body.write(bytes)
            }
          }, stem: "clip")
      }
    } catch  where ShutdownSignal.shared.isRequested {
      throw StoppedBySignal("while the clip was streaming to storage; nothing was stored")
    }
    try local?.commit()
    return output
  }

  /// The clip into the work directory: one GetClip, or several joined; returns its size.
  private func downloadToFile() throws -> Int64 {
    try times.timed("download", stage: .download) {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      if pieces.count == 1 { return try clip.download(pieces[0], to: clipPath) }
      var paths: [String] = []
      defer { for path in paths { unlink(path) } }
      for (index, piece) in pieces.enumerated() {
        let path = (directory as NSString).appendingPathComponent("\(baseName).part\(index).mp4")
        paths.append(path)
        try clip.download(piece, to: path)
      }
      try times.timed("join") { try media.join(paths, into: clipPath) }
    }
    return ((try FileManager.default.attributesOfItem(atPath: clipPath))[.size] as? NSNumber)?.int64Value ?? 0
  }

  /// `--thumbnail`: a JPEG of the clip beside it; its path.
  func thumbnail() throws -> String? {
    guard options.thumbnail else { return nil }
    let path = (directory as NSString).appendingPathComponent(baseName + ".jpg")
    try times.timed("thumbnail") {
      try media.writeThumbnail(of: clipPath, to: path, at: options.thumbnailAt, width: options.thumbnailWidth)
    }
    return path
  }
}
