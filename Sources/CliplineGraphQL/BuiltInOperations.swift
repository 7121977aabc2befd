import CliplineRecords
import CliplineSystem

/// The operations M0 sends, against `examples/backend/schema.graphql`. Each picks the batch or the live (camera)
/// mutation from the record's `inference_modality`.
public enum BuiltInOperation: String, CaseIterable, Sendable {
  case createChunk = "create-chunk"
  case setStatus = "set-status"
}

/// The statuses a job can be moved to (a job starts QUEUED).
public enum ProcessingStatus: String, CaseIterable, Sendable {
  case processing = "PROCESSING"
  case completed = "COMPLETED"
  case failed = "FAILED"
}

public enum BuiltInOperations {
  public static let modalityField = "inference_modality"

  public static let createBatchChunk = """
    mutation CreateBatchChunk($input: CreateBatchChunkInput!) {
      createBatchChunk(input: $input) { id }
    }
    """

  public static let createLiveChunk = """
    mutation CreateLiveChunk($input: CreateLiveChunkInput!) {
      createLiveChunk(input: $input) { id }
    }
    """

  public static let updateBatchStatus = """
    mutation UpdateBatchVideoProcessingStatus($input: UpdateVideoProcessingStatusInput!) {
      updateBatchVideoProcessingStatus(input: $input) { processId status }
    }
    """

  public static let updateCamStatus = """
    mutation UpdateCamVideoProcessingStatus($input: UpdateVideoProcessingStatusInput!) {
      updateCamVideoProcessingStatus(input: $input) { processId status }
    }
    """

  /// Chunk record fields (from `chunk`, after `blob-put`) to the schema's input fields.
  static let chunkFields: [(input: String, field: String)] = [
    ("processId", "process_id"), ("chunkHash", "chunk_hash"), ("chunkDuration", "chunk_duration"),
    ("startTime", "start_time"), ("endTime", "end_time"), ("timeOffset", "time_offset"),
    ("cloudPath", "cloud_stream_path"),
  ]
  static let liveChunkFields: [(input: String, field: String)] = [
    ("chunkStartTime", "chunk_start_time"), ("chunkEndTime", "chunk_end_time"),
  ]

  /// A chunk row stores the chunk's own URL, never its source video's.
  static let chunkURLRefusal = SameValueRefusal(
    field: "cloud_stream_path", otherField: "source_stream_path",
    advice: "it must be the stored chunk's own URL (blob-put --to URL=cloud_stream_path), not the source video")

  /// The record field written with the id the backend gave the chunk row.
  public static let chunkRecordIDField = "chunk_record_id"
  /// The record field written with the status the backend now holds.
  public static let processingStatusField = "processing_status"

  public static func choice(_ operation: BuiltInOperation, status: ProcessingStatus? = nil) throws -> OperationChoice {
    func bindings(_ fields: [(input: String, field: String)]) -> [VariableBinding] {
      fields.map { VariableBinding(target: ["input", $0.input], source: .field(path: $0.field, default: nil)) }
    }
    switch operation {
    case .createChunk:
      return .byModality(
        field: modalityField,
        batch: try OperationTemplate(
          operation: GraphQLOperation(createBatchChunk), bindings: bindings(chunkFields),
          merges: [MergeRule(field: chunkRecordIDField, path: "data.createBatchChunk.id")], refusals: [chunkURLRefusal]),
        live: try OperationTemplate(
          operation: GraphQLOperation(createLiveChunk), bindings: bindings(chunkFields + liveChunkFields),
          merges: [MergeRule(field: chunkRecordIDField, path: "data.createLiveChunk.id")], refusals: [chunkURLRefusal]))
    case .setStatus:
      guard let status else { throw BindingSyntaxError("--op set-status needs --status PROCESSING|COMPLETED|FAILED") }
      let statusBindings = [
        VariableBinding(target: ["input", "processId"], source: .field(path: "process_id", default: nil)),
        VariableBinding(target: ["input", "status"], source: .literal(.string(status.rawValue))),
      ]
      return .byModality(
        field: modalityField,
        batch: try OperationTemplate(
          operation: GraphQLOperation(updateBatchStatus), bindings: statusBindings,
          merges: [MergeRule(field: processingStatusField, path: "data.updateBatchVideoProcessingStatus.status")]),
        live: try OperationTemplate(
          operation: GraphQLOperation(updateCamStatus), bindings: statusBindings,
          merges: [MergeRule(field: processingStatusField, path: "data.updateCamVideoProcessingStatus.status")]))
    }
  }
}
