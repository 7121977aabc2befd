import CliplineRecords

/// How a window's record is written: `kvs-clip`'s record (the S2 task and its clip, for M0), or, when a window is a
/// chunk, the chunk record M0 would write for that clip cut into one chunk (the fast path to M1: `gql-mutate --op
/// create-chunk` and M1's message read it as they read `chunk`'s).
public enum WindowRecordForm: String, Sendable, CaseIterable {
  case clip
  case chunk

  func shape(_ window: Record) -> Record {
    guard self == .chunk else { return window }
    var chunk = window
    let duration = window["clip_duration"] ?? .double(0)
    let moved = [
      ("clip_sha256", "chunk_hash"), ("clip_bytes", "chunk_bytes"), ("clip_duration", "chunk_duration"),
      ("clip_path", "chunk_path"), ("clip_start_time", "chunk_start_time"), ("clip_end_time", "chunk_end_time"),
    ]
    for (from, to) in moved {
      chunk[to] = window[from]
      chunk[from] = nil
    }
    chunk["chunk_id"] = .integer(1)
    chunk["start_time"] = .double(0)
    chunk["end_time"] = duration
    chunk["time_offset"] = .double(0)
    chunk["chunk_mode"] = .string("copy")
    chunk["live_start_time"] = window["clip_start_time"]
    chunk["inference_modality"] = .string("live")
    return chunk
  }
}
