import CliplineHTTP
import CliplineRecords
import CliplineSystem
import Foundation

/// The real GraphQL server `scripts/services start graphql` runs (graphql-core over SQLite), and its test controls:
/// failure injection, the rows it stored, and per-scope request counts.
public struct GraphQLTestServer {
  public let endpoint: String
  public let controlURL: String
  public let token: String
  public let readOnlyToken: String
  /// Sent as X-Test-Scope by every tool run of one test, so injections and counts belong to that test only.
  public let scope = UUID().uuidString

  public init(fileID: String = #fileID) throws {
    endpoint = try TestServices.require("GRAPHQL_ENDPOINT", fileID: fileID)
    controlURL = try TestServices.require("GRAPHQL_CONTROL_URL", fileID: fileID)
    token = try TestServices.require("GRAPHQL_TOKEN", fileID: fileID)
    readOnlyToken = try TestServices.require("GRAPHQL_READONLY_TOKEN", fileID: fileID)
  }

  public var scopeHeader: [String] { ["--header", "X-Test-Scope: \(scope)"] }

  /// A process id no other test uses.
  public static func newProcessID() -> Int { Int.random(in: 1_000_000...999_999_999) }

  public func inject(_ injection: [String: JSONValue]) throws {
    var body = injection
    body["scope"] = .string(scope)
    _ = try HTTPClient().send(
      HTTPRequest(
        method: "POST", url: controlURL + "/control/inject", body: .bytes(JSONSerializer.bytes(.object(body))))
    ).checked()
  }

  public func rows(_ table: String, processID: Int) throws -> [[String: JSONValue]] {
    let response = try HTTPClient().send(HTTPRequest(url: "\(controlURL)/rows/\(table)?process_id=\(processID)"))
      .checked()
    guard let rows = try JSONParser.parse(response.body).arrayValue else { throw TestFailure("rows: not an array") }
    return rows.compactMap(\.objectValue)
  }

  public func stats() throws -> (requests: Int, connections: Int) {
    let response = try HTTPClient().send(HTTPRequest(url: "\(controlURL)/stats?scope=\(scope)")).checked()
    let object = try JSONParser.parse(response.body).objectValue ?? [:]
    return (Int(object["requests"]?.integerValue ?? -1), Int(object["connections"]?.integerValue ?? -1))
  }

  /// Runs the built gql-mutate with this test's scope header.
  public func run(_ arguments: [String], stdin: String = "", environment: [String: String] = [:]) throws -> ToolResult {
    try ToolInvocation.run("gql-mutate", arguments + scopeHeader, stdin: stdin, environment: environment)
  }
}

/// Chunk records as `chunk` and `blob-put` write them.
public enum ChunkRecords {
  public static func batch(processID: Int, chunkID: Int, duration: Double = 60) -> Record {
    let start = Double(chunkID - 1) * duration
    return Record([
      "process_id": .integer(Int64(processID)), "inference_modality": "batch",
      "cloud_stream_path": .string("s3://spectra-videos/processed/\(processID)/chunk_\(chunkID).mp4"),
      "cache_path": .string("s3://spectra-cache/temp/\(processID)/chunk_\(chunkID).mp4"),
      "source_stream_path": .string("s3://spectra-videos/uploads/\(processID).mp4"),
      "destination_prefix": .string("processed/\(processID)/"), "cache_container_name": "spectra-cache",
      "video_preprocessing": ["chunk_duration": 60, "fps": 30, "width": 1280, "height": 720],
      "inference_config": ["vlm_provider": "bedrock", "vlm_model": "amazon.nova-pro-v1"],
      "chunk_id": .integer(Int64(chunkID)), "chunk_path": .string("/tmp/work/chunk_\(chunkID).mp4"),
      "chunk_hash": .string(hash(processID, chunkID)),
      "start_time": .double(start), "end_time": .double(start + duration), "chunk_duration": .double(duration),
      "time_offset": .double(start),
    ])
  }

  /// A 64-hex-digit stand-in for the chunk's SHA-256, unique per process and chunk.
  public static func hash(_ processID: Int, _ chunkID: Int) -> String {
    let digits = String(processID, radix: 16) + "c" + String(chunkID, radix: 16)
    return String(repeating: "0", count: 64 - digits.count) + digits
  }

  public static func live(processID: Int, chunkID: Int) -> Record {
    var record = batch(processID: processID, chunkID: chunkID, duration: 30)
    record["inference_modality"] = "live"
    record["live_start_time"] = "2026-02-26T14:30:00Z"
    let start = (chunkID - 1) * 30
    record["chunk_start_time"] = .string(String(format: "2026-02-26T14:%02d:%02dZ", 30 + start / 60, start % 60))
    record["chunk_end_time"] = .string(
      String(format: "2026-02-26T14:%02d:%02dZ", 30 + (start + 30) / 60, (start + 30) % 60))
    return record
  }

  public static func lines(_ records: [Record]) -> String { records.map(\.jsonText).joined(separator: "\n") + "\n" }
}
