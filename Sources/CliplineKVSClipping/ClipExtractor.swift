import CliplineBlobStores
import CliplineCrypto
import CliplineKVS
import CliplineRecords
import CliplineSystem
import Foundation

/// The fields `kvs-clip` reads from a KVS task.
public struct ClipTask: Decodable, Sendable {
  public let cameraId: String
  public let streamArn: String?
  public let streamName: String?
  public let startTime: String
  public let endTime: String

  enum CodingKeys: String, CodingKey {
    case cameraId = "camera_id"
    case streamArn = "stream_arn"
    case streamName = "stream_name"
    case startTime = "start_time"
    case endTime = "end_time"
  }

  /// GetClip's (and ListFragments') longest range: one clip is one GetClip answer, so a longer task is refused.
  public static let maximumSeconds: Double = 24 * 3600

  /// The task's stream and times, checked before any call: a bad task never costs an API request.
  public func validated() throws -> (stream: KVSStreamReference, start: Date, end: Date) {
    guard let start = RFC3339.parse(startTime) else {
      throw InputError.invalidField("start_time", reason: "is not an RFC 3339 time: \(quoted(startTime))")
    }
    guard let end = RFC3339.parse(endTime) else {
      throw InputError.invalidField("end_time", reason: "is not an RFC 3339 time: \(quoted(endTime))")
    }
    guard start < end else {
      throw InputError.invalidField(
        "end_time", reason: "must be after start_time (\(startTime) … \(endTime)): the clip would be empty")
    }
    guard end.timeIntervalSince(start) <= Self.maximumSeconds else {
      throw InputError.invalidField(
        "end_time",
        reason: "is more than 24 h after start_time (\(startTime) … \(endTime)): GetClip takes at most 24 h; "
          + "split the task")
    }
    let arn = streamArn.flatMap { $0.isEmpty ? nil : $0 }
    let name = streamName.flatMap { $0.isEmpty ? nil : $0 }
    guard arn != nil || name != nil else { throw InputError.missingField("stream_arn") }
    guard !cameraId.isEmpty, !cameraId.contains("/"), cameraId != ".", cameraId != ".." else {
      throw InputError.invalidField("camera_id", reason: "must be a non-empty name without '/'")
    }
    return (KVSStreamReference(name: name, arn: arn), start, end)
  }
}

/// What `kvs-clip` adds to the task. A clip streamed to storage (`--to`) has no `clip_path` unless it was also
/// kept locally, and its size and digest are the upload's `clip_bytes` and `clip_sha256`.
public struct ClipResult: Encodable, Sendable {
  public let clipPath: String?
  public let clipBytes: Int64?
  public let clipStartTime: String
  public let clipEndTime: String
  public let clipDuration: Double
  public let sha256: String?
  public let thumbnailPath: String?

  enum CodingKeys: String, CodingKey {
    case clipPath = "clip_path"
    case clipBytes = "clip_bytes"
    case clipStartTime = "clip_start_time"
    case clipEndTime = "clip_end_time"
    case clipDuration = "clip_duration"
    case sha256 = "clip_sha256"
    case thumbnailPath = "thumbnail_path"
  }
}

/// The seed's `process_camera_task`: status check, GetClip (split and joined when the range is over GetClip's
/// limits), optional thumbnail. Timings of each step go to one log line per task.
public final class ClipExtractor {
  public struct Options: Sendable {
    public var timestampKind: KVSTimestampKind = .producer
    /// Ask for the fragment that holds the start time too (GetClip would drop it), so no second is lost.
    public var padStart = false
    public var thumbnail = false
    public var thumbnailAt: Double?
    public var thumbnailWidth = 320
    public var planner = ClipPlanner()
    public var workDirectory: String
    /// Store the clip with this as it arrives from GetClip (`--to`), instead of writing it to the work directory.
    public var upload: RecordUploader?
    /// With `upload`: also write the clip to the work directory (`--keep-local`, and what `--thumbnail` needs).
    public var keepLocal = false

    public init(workDirectory: String) { self.workDirectory = workDirectory }
  }

  /// How far back to look for the fragment holding the start time (KVS fragments are a few seconds long).
  static let padLookback: Double = 30

  public let client: KVSClient
  public let options: Options
  private let diagnostics: Diagnostics
  private let media: ClipMediaSteps

  public init(client: KVSClient, options: Options, diagnostics: Diagnostics) {
    self.client = client
    self.options = options
    self.diagnostics = diagnostics
    media = ClipMediaSteps(diagnostics: diagnostics)
  }

  /// The task with the clip's fields, or nil when the stream is not ACTIVE (skipped with a warning).
  public func process(_ record: Record, line: Int? = nil) throws -> Record? {
    let task = try record.decode(ClipTask.self)
    let (stream, start, end) = try task.validated()
    let times = StepTimes()
    let began = Date()
    let info = try times.timed("status") { try client.describeStream(stream) }
    guard info.isActive else {
      diagnostics.warning(
        "camera \(task.cameraId): \(stream) is \(info.status), not ACTIVE; skipped", line: line,
        fields: ["camera_id": .string(task.cameraId), "status": .string(info.status)])
      return nil
    }
    let reference = KVSStreamReference(name: info.streamName, arn: info.streamARN)
    let fragments = try times.timed("list") { try fragmentsToClip(reference, start: start, end: end) }
    let run = ClipRun(
      record: record, task: task, pieces: options.planner.plan(fragments, start: start, end: end),
      clip: ClipRequest(task: task, stream: reference, kind: options.timestampKind, client: client), options: options,
      media: media, times: times)
    let (output, size, probed) = try run.transfer { try probedDuration($0, task: task) }
    let thumbnailPath = try run.thumbnail()
    let clipStart = fragments[0].start
    // Without a local file the clip is never opened: its length is its fragments' (what GetClip returned).
    let duration = probed ?? (fragments.map(\.end).max() ?? clipStart).timeIntervalSince(clipStart)
    let result = ClipResult(
      clipPath: run.keepsFile ? run.clipPath : nil, clipBytes: options.upload == nil ? size : nil,
      clipStartTime: RFC3339.format(clipStart, fractionalDigits: 3),
      clipEndTime: RFC3339.format(clipStart.addingTimeInterval(duration), fractionalDigits: 3),
      clipDuration: (duration * 1000).rounded() / 1000,
      sha256: options.upload == nil ? try Digest.ofFile(run.clipPath).hexString : nil, thumbnailPath: thumbnailPath)
    logSummary(task, size: size, duration: duration, pieces: run.pieces.count, times: times, since: began, line: line)
    return try output.merging(result)
  }

  /// One line per task: its size and length, and how long each step took.
  private func logSummary(
    _ task: ClipTask, size: Int64, duration: Double, pieces: Int, times: StepTimes, since began: Date, line: Int?
  ) {
    let steps = times.steps.map { "\($0.name) \(String(format: "%.3f", $0.seconds))s" }.joined(separator: ", ")
    var fields: [String: JSONValue] = ["camera_id": .string(task.cameraId), "pieces": .integer(Int64(pieces))]
    for (step, seconds) in times.steps { fields["\(step)_seconds"] = .double((seconds * 1000).rounded() / 1000) }
    diagnostics.info(
      "camera \(task.cameraId) \(task.startTime): \(size) bytes, \(String(format: "%.3f", duration)) s in "
        + "\(pieces) request\(pieces == 1 ? "" : "s") (\(steps); total "
        + "\(String(format: "%.3f", Date().timeIntervalSince(began)))s)", line: line, fields: fields)
  }

  /// The clip's duration from its own media; a clip FFmpeg cannot read, or an empty one, is removed (65).
  func probedDuration(_ clipPath: String, task: ClipTask) throws -> Double {
    do {
      return try media.duration(of: clipPath)
    } catch let failure as CompanionFailure where failure.exitStatus == .dataError {
      unlink(clipPath)
      throw UnreadableClip(
        "GetClip returned no readable media for \(task.cameraId) \(task.startTime) … \(task.endTime): "
          + failure.description)
    }
  }

  /// The fragments GetClip will return for the range, in order. With `padStart`, the fragment that holds the
  /// start time is included (GetClip would drop it because it starts earlier).
  func fragmentsToClip(_ stream: KVSStreamReference, start: Date, end: Date) throws -> [KVSFragment] {
    let from = options.padStart ? start.addingTimeInterval(-Self.padLookback) : start
    var fragments = try client.listFragments(stream, kind: options.timestampKind, start: from, end: end)
    fragments = fragments.filter { $0.start < end }
    if options.padStart, let holder = fragments.last(where: { $0.start <= start && $0.end > start }) {
      fragments = fragments.filter { $0.start >= holder.start }
    } else {
      fragments = fragments.filter { $0.start >= start }
    }
    guard !fragments.isEmpty else {
      throw KVSError(
        kind: .noFragments, code: "NoFragments",
        message: "ListFragments found no media between \(RFC3339.format(start)) and \(RFC3339.format(end))",
        operation: "GetClip", stream: stream, status: 200)
    }
    return fragments
  }

  /// `--hls`: the task plus an HLS session URL (ON_DEMAND for the task's range, or LIVE).
  public func hlsRecord(_ record: Record, mode: KVSPlaybackMode, expires: Int) throws -> Record {
    var stream: KVSStreamReference
    var range: (Date, Date)?
    if mode == .live {
      // The live edge needs only the stream: a camera record from kvs-discover will do.
      let arn = try record.value(at: "stream_arn").map { _ in try record.requireString("stream_arn") }
      let name = try record.value(at: "stream_name").map { _ in try record.requireString("stream_name") }
      guard arn?.isEmpty == false || name?.isEmpty == false else { throw InputError.missingField("stream_arn") }
      stream = KVSStreamReference(name: name?.isEmpty == false ? name : nil, arn: arn?.isEmpty == false ? arn : nil)
    } else {
      let checked = try record.decode(ClipTask.self).validated()
      stream = checked.stream
      range = (checked.start, checked.end)
    }
    let url = try client.hlsStreamingSessionURL(
      stream, mode: mode, kind: options.timestampKind, start: range?.0, end: range?.1, expires: expires)
    var output = record
    output["hls_url"] = .string(url)
    output["hls_playback_mode"] = .string(mode.rawValue)
    output["hls_expires_at"] = .string(RFC3339.format(Date().addingTimeInterval(Double(expires)), fractionalDigits: 0))
    return output
  }
}
