import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// `RecordShape` as a library, `record-shape` as a tool, and the shipped workers' shaping against the messages
/// the other services read.
final class RecordShapeTests: XCTestCase {
  func testRenameThenKeepThenSetInThatOrderWhateverTheFlagOrder() throws {
    let shape = try RecordShape(
      renames: ["clip_start_time=live_start_time"], keep: ["process_id,live_start_time", "n"],
      set: ["prefix=processed/{process_id}/{camera_id}/"], setJSON: [#"video={"fps":15}"#])
    let input = try Record(
      json:
        #"{"process_id":501,"camera_id":"cam","clip_start_time":"2026-02-26T14:30:00.5Z","n":[2.5,{"k":null}],"extra":true}"#
    )
    let output = try shape.apply(to: input)
    XCTAssertEqual(
      output.jsonText,
      #"{"live_start_time":"2026-02-26T14:30:00.5Z","n":[2.5,{"k":null}],"prefix":"processed/501/cam/","process_id":501,"video":{"fps":15}}"#,
      "a dropped field still fills a template; values nobody set leave as they came")
  }

  func testDropRemovesOnlyTheNamedFields() throws {
    let shape = try RecordShape(drop: ["chunk_path, etag"])
    let output = try shape.apply(
      to: try Record(json: #"{"chunk_path":"/t/c.mp4","etag":"x","a":[1,"x"]}"#))
    XCTAssertEqual(output.jsonText, #"{"a":[1,"x"]}"#)
  }

  func testMissingFieldsAndBadFlagsAreNamed() throws {
    XCTAssertThrowsError(try RecordShape(renames: ["a"])) {
      XCTAssertTrue("\($0)".contains(#"--rename "a" is not FIELD=VALUE"#), "\($0)")
    }
    XCTAssertThrowsError(try RecordShape(setJSON: ["x={"])) { XCTAssertTrue("\($0)".contains("is not JSON"), "\($0)") }
    XCTAssertThrowsError(try RecordShape(keep: ["a,b c"])) { XCTAssertTrue("\($0)".contains(#""b c""#), "\($0)") }
    let rename = try RecordShape(renames: ["clip_start_time=live_start_time"])
    XCTAssertThrowsError(try rename.apply(to: Record())) {
      XCTAssertEqual($0 as? InputError, .missingField("clip_start_time"))
    }
    let template = try RecordShape(set: ["p=processed/{process_id}/"])
    XCTAssertThrowsError(try template.apply(to: Record())) {
      XCTAssertEqual($0 as? InputError, .missingField("process_id"))
    }
  }

  func testToolReportsTheLineAndGoesOn() throws {
    let result = try ToolInvocation.run(
      "record-shape", ["--rename", "a=b"], stdin: #"{"a":1}"# + "\n" + #"{"c":2}"# + "\nnot json\n" + #"{"a":3}"# + "\n"
    )
    XCTAssertEqual(result.status, 65, result.stderr)
    XCTAssertEqual(result.stdoutLines, [#"{"b":1}"#, #"{"b":3}"#])
    XCTAssertTrue(result.stderr.contains(#"record-shape: error (line 2): field "a" is missing"#), result.stderr)
    XCTAssertTrue(result.stderr.contains("record-shape: error (line 3): not a JSON object"), result.stderr)
    let usage = try ToolInvocation.run("record-shape", ["--keep", "a", "--drop", "b"])
    XCTAssertEqual(usage.status, 64, usage.stderr)
  }

  /// A stored clip as `kvs-clip | blob-put` writes it for the task of S2's own example (camera_front_entrance,
  /// 14:30:00-14:31:00, process 501), to be turned into that example's M0_PRIORITY_QUEUE message.
  func testS2WorkerMakesTheM0RequestFieldForField() throws {
    let inferenceConfig =
      #"{"vlm_provider":"bedrock","vlm_model":"amazon.nova-pro-v1","system_prompt_key":"security_live_v1","user_prompt":"Detect any security events, unauthorized access, or unusual behavior."}"#
    let url = "s3://spectra-videos/live/camera_front_entrance/2026-02-26T14-30-00Z.mp4"
    let storedClip = """
      {"camera_id":"camera_front_entrance","stream_arn":"arn:aws:kinesisvideo:us-east-1:123456789012:stream/FrontEntrance/9999",\
      "stream_name":"FrontEntrance","start_time":"2026-02-26T14:30:00Z","end_time":"2026-02-26T14:31:00Z","process_id":501,\
      "inference_config":\(inferenceConfig),"clip_start_time":"2026-02-26T14:30:00Z","clip_end_time":"2026-02-26T14:31:00Z",\
      "clip_duration":60.0,"clip_bytes":15000000,"thumbnail_path":"/tmp/w/thumb.jpg","cloud_stream_path":"\(url)",\
      "clip_sha256":"d4f3","cloud_stream_path_etag":"e"}
      """
    let expected = try Record(
      json: """
        {"process_id":501,"inference_modality":"live","cloud_stream_path":"\(url)",\
        "destination_prefix":"processed/live/camera_front_entrance/501/","cache_container_name":"spectra-cache",\
        "live_start_time":"2026-02-26T14:30:00Z","video_preprocessing":{"chunk_duration":60,"fps":15},\
        "inference_config":\(inferenceConfig)}
        """)
    let result = try Self.runExample("s2-worker.sh", stdin: storedClip, environment: ["CHUNK_DURATION": "60"])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(try result.records(), [expected])
  }

  /// A chunk record at the end of the M0 pipe (chunk, two uploads, the GraphQL row) becomes M0's results message:
  /// the fields of M0's own example plus modality, duration, offset and the live start, nothing else.
  func testM0WorkerPublishesTheChunkMessageAndNothingElse() throws {
    let chunkRecord = """
      {"process_id":42,"inference_modality":"batch","source_stream_path":"s3://bucket/videos/input.mp4",\
      "destination_prefix":"chunks/","cache_container_name":"cache","video_preprocessing":{"chunk_duration":30},\
      "inference_config":{"vlm_provider":"bedrock"},"chunk_id":1,"chunk_path":"/tmp/w/42/chunk_001.mp4",\
      "chunk_hash":"abc123","chunk_bytes":1000,"start_time":0.0,"end_time":30.0,"chunk_duration":30.0,\
      "time_offset":0.0,"chunk_mode":"copy","cloud_stream_path":"s3://bucket/chunks/chunk_001.mp4",\
      "chunk_sha256":"abc123","cloud_stream_path_etag":"e1","cache_path_etag":"e2",\
      "cache_path":"s3://cache/temp/chunk_001.mp4","cache_path_expires_at":"2026-02-27T14:30:00Z",\
      "chunk_record_id":"7","processing_status":"PROCESSING"}
      """
    let expected = try Record(
      json: """
        {"process_id":42,"chunk_id":1,"chunk_hash":"abc123","cloud_stream_path":"s3://bucket/chunks/chunk_001.mp4",\
        "cache_path":"s3://cache/temp/chunk_001.mp4","start_time":0.0,"end_time":30.0,\
        "inference_config":{"vlm_provider":"bedrock"},\
        "inference_modality":"batch","chunk_duration":30.0,"time_offset":0.0}
        """)
    let result = try Self.runExample("m0-worker.sh", stdin: chunkRecord)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(try result.records(), [expected])
  }

  /// Runs `examples/NAME --shape-only` with the built tools first on PATH.
  static func runExample(_ name: String, stdin: String, environment: [String: String] = [:]) throws -> ToolResult {
    try ExampleScript.shapeOnly(name, stdin: stdin, environment: environment)
  }
}
