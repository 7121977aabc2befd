/// The ids a log line about a record names, when the record has them (ARCHITECTURE.md, Observability): which job
/// (`process_id`), chunk and camera it is, so a JSON log stream can be searched for one job across every tool.
public enum RecordIDs {
  public static let names = ["process_id", "chunk_id", "camera_id"]

  /// `record`'s ids that are present (top level, not null); none without a record.
  public static func fields(of record: Record?) -> [String: JSONValue] {
    guard let record else { return [:] }
    var fields: [String: JSONValue] = [:]
    for name in names {
      if let value = record[name], value != .null { fields[name] = value }
    }
    return fields
  }
}
