import CliplineCrypto
import CliplineRecords
import CliplineSystem
import Foundation

/// The seed's scheduler for a cron line: the last whole window that ended at least `delay` ago. Windows are
/// aligned to multiples of their length since the epoch, so a rerun within the same window makes the same task.
public struct TaskWindow: Sendable, Equatable {
  /// `--window` and `--delay` go up to a year (366 days): longer is a typing mistake, and would push task times
  /// out of the years RFC 3339 can write (0001–9999).
  public static let maximumSeconds: Double = 366 * 86400
  /// The times RFC 3339 can write: 0001-01-01T00:00:00Z … 9999-12-31T23:59:59Z.
  public static let writableTimes =
    Date(timeIntervalSince1970: -62_135_596_800)...Date(timeIntervalSince1970: 253_402_300_799)

  public let length: Double
  public let delay: Double

  public init(length: Double, delay: Double = 0) {
    self.length = length
    self.delay = delay
  }

  public func range(now: Date = Date()) -> (start: Date, end: Date) {
    let reference = now.timeIntervalSince1970 - delay
    let end = (reference / length).rounded(.down) * length
    return (Date(timeIntervalSince1970: end - length), Date(timeIntervalSince1970: end))
  }
}

/// Turns a camera into the seed's `S2_PROCESSING_QUEUE` message: `camera_id, stream_arn, stream_name,
/// start_time, end_time, process_id, inference_config` (process_id minted from camera and window when neither the
/// flag nor the template gives one; inference_config `{}` when none is given). Extra fields come from a template: a JSON object whose
/// string values may hold `{field}` holes filled from the task (`{camera_id}`, `{start_time}`, `{window_start}` —
/// epoch seconds); a value that is exactly one hole keeps the field's JSON type.
public struct KVSTaskBuilder: Sendable {
  public let processId: JSONValue?
  public let inferenceConfig: JSONValue?
  public let template: [String: JSONValue]

  public init(processId: JSONValue?, inferenceConfig: JSONValue?, template: [String: JSONValue] = [:]) {
    self.processId = processId
    self.inferenceConfig = inferenceConfig
    self.template = template
  }

  public func task(for camera: CameraRecord, start: Date, end: Date) throws -> Record {
    var task = Record([
      "camera_id": .string(camera.cameraId),
      "stream_arn": .string(camera.streamArn),
      "stream_name": .string(camera.streamName),
      "start_time": .string(RFC3339.format(start, fractionalDigits: 3)),
      "end_time": .string(RFC3339.format(end, fractionalDigits: 3)),
    ])
    var context = task
    context["window_start"] = .integer(Int64(start.timeIntervalSince1970.rounded(.down)))
    context["window_end"] = .integer(Int64(end.timeIntervalSince1970.rounded(.down)))
    for (key, value) in template { task[key] = try Self.render(value, context) }
    if let processId { task["process_id"] = processId }
    if task["process_id"] == nil {
      task["process_id"] = .integer(Self.mintedProcessId(camera: camera.cameraId, start: start))
    }
    // Always present, as the seed's models expect: {} when the request had none.
    if let inferenceConfig { task["inference_config"] = inferenceConfig }
    if task["inference_config"] == nil { task["inference_config"] = .object([:]) }
    return task
  }

  /// A task the backend gave no process_id gets one of its camera and window: the same window run again gets the
  /// same id (and so the same storage keys), any other camera or window another. 53 bits of SHA-256, so every JSON
  /// reader keeps it exact.
  public static func mintedProcessId(camera: String, start: Date) -> Int64 {
    let digest = Digest.sha256("\(camera)\n\(Int64(start.timeIntervalSince1970.rounded(.down)))")
    let bits = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    return Int64(bits >> 11)
  }

  static func render(_ value: JSONValue, _ context: Record) throws -> JSONValue {
    switch value {
    case .string(let text):
      let parsed = try RecordTemplate(text)
      let holes = parsed.fieldPaths
      if holes.count == 1, text == "{\(holes[0])}", let whole = context.value(at: holes[0]) { return whole }
      return .string(try parsed.render(context))
    case .array(let items): return .array(try items.map { try render($0, context) })
    case .object(let object): return .object(try object.mapValues { try render($0, context) })
    default: return value
    }
  }
}
