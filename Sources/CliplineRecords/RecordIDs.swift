/// The ids a log line about a record names, when the record has them (ARCHITECTURE.md, Observability): which job
/// (`process_id`), chunk and camera it is, so a JSON log stream can be searched for one job across every tool.
public enum RecordIDs {
  public static let names = ["process_id", "chunk_id", "camera_id"]

  /// The ids of the record the running code handles (`whileHandling`): every JSON line said meanwhile on this
  /// thread carries them, info and warning lines as well as errors. A task-local value, so outside any Swift task
  /// it is bound per thread: a record loop's job binds it on the thread that handles the record.
  @TaskLocal public static var handled: [String: JSONValue] = [:]

  /// `record`'s ids that are present (top level, not null); none without a record.
  public static func fields(of record: Record?) -> [String: JSONValue] {
    guard let record else { return [:] }
    var fields: [String: JSONValue] = [:]
    for name in names {
      if let value = record[name], value != .null { fields[name] = value }
    }
    return fields
  }

  /// Runs `work` with `record`'s ids as `handled`.
  public static func whileHandling<Value>(_ record: Record?, _ work: () throws -> Value) rethrows -> Value {
    try $handled.withValue(fields(of: record), operation: work)
  }
}
