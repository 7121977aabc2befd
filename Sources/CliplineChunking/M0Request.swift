import CliplineRecords
import CliplineSystem

/// How the storage layer judges the names an M0 request carries; each returns why a name is refused, or nil.
/// (`m0-submit` answers with the blob stores' own rules, so a request passes exactly when storage would take it.)
public protocol M0StorageNaming {
  func problem(withSource url: String) -> String?
  func problem(withKeyPrefix prefix: String) -> String?
  func problem(withContainer name: String) -> String?
}

/// An M0 request checked before it is queued: what `chunk` reads (its own request parser), a source URL storage
/// can read, and the two fields the M0 worker's uploads are named from (`destination_prefix`,
/// `cache_container_name`). A bad request fails with the field it is about (exit 65).
public enum M0Request {
  public static func validate(_ record: Record, naming: M0StorageNaming) throws {
    guard let processID = record["process_id"], processID != .null else { throw InputError.missingField("process_id") }
    switch processID {
    case .string(let text) where !text.isEmpty: break
    case .integer, .double: break
    default: throw InputError.invalidField("process_id", reason: "must be a number or a non-empty string")
    }
    let request = try record.decode(ChunkRequest.self).validated()
    // chunk reads a request without one as batch, but the worker's gql-mutate picks its mutation by it.
    guard request.inferenceModality != nil else { throw InputError.missingField("inference_modality") }
    if let problem = naming.problem(withSource: request.cloudStreamPath) {
      throw InputError.invalidField("cloud_stream_path", reason: problem)
    }
    let prefix = try record.requireString("destination_prefix")
    if let problem = naming.problem(withKeyPrefix: prefix) {
      throw InputError.invalidField("destination_prefix", reason: problem)
    }
    guard prefix.hasSuffix("/") else {
      throw InputError.invalidField("destination_prefix", reason: "must end with \"/\" (chunk names are appended)")
    }
    let container = try record.requireString("cache_container_name")
    if let problem = naming.problem(withContainer: container) {
      throw InputError.invalidField("cache_container_name", reason: problem)
    }
  }
}
