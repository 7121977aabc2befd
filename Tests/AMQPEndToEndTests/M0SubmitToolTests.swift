import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// `m0-submit`, built, against the real broker: valid requests are queued and answered QUEUED, a bad one is a
/// sentence naming its field, exit 65, and nothing on the queue for it.
final class M0SubmitToolTests: XCTestCase {
  /// The batch request of the M0 service's own example, as POST /api/v1/process_video receives it.
  static let batchRequest =
    #"{"process_id":101,"inference_modality":"batch","cloud_stream_path":"s3://spectra-videos/uploads/security_cam_feed.mp4","destination_prefix":"processed/101/","cache_container_name":"spectra-cache","video_preprocessing":{"chunk_duration":60,"fps":30,"width":1280,"height":720}}"#

  static let liveRequest =
    #"{"process_id":501,"inference_modality":"live","cloud_stream_path":"s3://spectra-videos/live/camera_front_entrance/2026-02-26T14-30-00Z.mp4","destination_prefix":"processed/live/501/","cache_container_name":"spectra-cache","live_start_time":"2026-02-26T14:30:00Z","video_preprocessing":{"chunk_duration":60,"fps":15},"inference_config":{"vlm_provider":"bedrock"}}"#

  func testQueuesValidRequestsAsTheyCameAndAnswersQueued() throws {
    let queue = Broker.uniqueQueue("m0submit")
    let result = try ToolInvocation.run(
      "m0-submit", ["--queue", queue, "--declare"], stdin: Self.batchRequest + "\n" + Self.liveRequest + "\n",
      environment: ["AMQP_URL": try Broker.url()])

    XCTAssertEqual(result.status, 0, result.stderr)
    let answers = try result.records()
    XCTAssertEqual(answers.map { $0["process_id"] }, [.integer(101), .integer(501)])
    XCTAssertEqual(answers.map { $0["status"] }, ["QUEUED", "QUEUED"])
    XCTAssertEqual(
      answers.map { Set($0.fields.keys) }, Array(repeating: ["process_id", "status", "message"], count: 2))
    let messages = try Broker.pikaGet(queue, count: 10)
    XCTAssertEqual(
      try messages.map { try Record(json: $0["body"] as! String) },
      [try Record(json: Self.batchRequest), try Record(json: Self.liveRequest)])
    XCTAssertEqual(messages.first?["delivery_mode"] as? Int, 2)
  }

  /// With tracing on, each request starts a trace of its own (issue 25): a root span "m0-submit request" per
  /// request, ended by the broker's confirm, whose context its message carries as `traceparent`; a request that
  /// came with a traceparent field continues that trace instead.
  func testEachRequestStartsATraceItsMessageCarries() throws {
    let queue = Broker.uniqueQueue("m0trace")
    let scratch = try ScratchDirectory("otlp")
    let receiver = try OTLPReceiver(scratch: scratch)
    let callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
    var called = try Record(json: Self.liveRequest)
    called["traceparent"] = .string("00-\(callerTrace)-00f067aa0ba902b7-01")
    let result = try ToolInvocation.run(
      "m0-submit", ["--queue", queue, "--declare"],
      stdin: [Self.batchRequest, Self.batchRequest, called.jsonText].joined(separator: "\n") + "\n",
      environment: ["AMQP_URL": try Broker.url(), "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(receiver.port)"])
    XCTAssertEqual(result.status, 0, result.stderr)
    let headers = try Broker.pikaGet(queue, count: 10).map {
      try XCTUnwrap(($0["headers"] as? [String: Any])?["traceparent"] as? String).split(separator: "-").map(String.init)
    }
    XCTAssertEqual(headers.count, 3)
    let spans = receiver.spans.filter { $0["name"] as? String == "m0-submit request" }
    XCTAssertEqual(spans.count, 3, "\(receiver.spans)")
    for parts in headers {
      let span = try XCTUnwrap(spans.first { $0["span_id"] as? String == parts[2] }, "no span for \(parts)")
      XCTAssertEqual(span["trace_id"] as? String, parts[1])
      XCTAssertNotNil((span["attributes"] as? [String: Any])?["clipline.process_id"], "\(span)")
    }
    XCTAssertNotEqual(headers[0][1], headers[1][1], "a trace per request, even for the same process_id")
    XCTAssertNil(spans.first { $0["span_id"] as? String == headers[0][2] }?["parent_span_id"] as? String)
    XCTAssertEqual(headers[2][1], callerTrace, "the caller's trace goes on")
    let child = spans.first { $0["span_id"] as? String == headers[2][2] }
    XCTAssertEqual(child?["parent_span_id"] as? String, "00f067aa0ba902b7")
    let run = try XCTUnwrap(receiver.spans.first { $0["name"] as? String == "m0-submit" }?["trace_id"] as? String)
    XCTAssertFalse(headers.contains { $0[1] == run }, "not the run's trace")
  }

  func testABadRequestNamesItsFieldExits65AndIsNotPublished() throws {
    func replacing(_ field: String, with json: String?) throws -> String {
      var record = try Record(json: Self.batchRequest)
      record[field] = try json.map { try JSONParser.parse($0) }
      return record.jsonText
    }
    let cases: [(String, String)] = [
      (try replacing("cloud_stream_path", with: nil), #"field "cloud_stream_path" is missing"#),
      (try replacing("cloud_stream_path", with: #""ftp://host/video.mp4""#), #"field "cloud_stream_path" is"#),
      (try replacing("destination_prefix", with: nil), #"field "destination_prefix" is missing"#),
      (try replacing("destination_prefix", with: #""../elsewhere/""#), #"field "destination_prefix" contains a "..""#),
      (try replacing("destination_prefix", with: #""processed/101""#), #"field "destination_prefix" must end with"#),
      (try replacing("cache_container_name", with: #""Spectra Cache""#), #"field "cache_container_name" must be"#),
      (try replacing("inference_modality", with: #""later""#), #"field "inference_modality" must be"#),
      // The worker's gql-mutate picks its mutation by it (issue 24, item 15): queued, the job failed there.
      (try replacing("inference_modality", with: nil), #"field "inference_modality" is missing"#),
      (try replacing("inference_modality", with: #""live""#), #"field "live_start_time" is missing"#),
      (
        try replacing("video_preprocessing", with: #"{"chunk_duration":0}"#),
        #"field "video_preprocessing.chunk_duration""#
      ),
      (
        try replacing("video_preprocessing", with: #"{"width":1279,"height":720}"#),
        #"field "video_preprocessing.width""#
      ),
      (try replacing("process_id", with: nil), #"field "process_id" is missing"#),
    ]
    for (request, expected) in cases {
      let queue = Broker.uniqueQueue("m0bad")
      try Broker.declare(queue)
      let result = try ToolInvocation.run(
        "m0-submit", ["--queue", queue], stdin: request + "\n", environment: ["AMQP_URL": try Broker.url()])
      XCTAssertEqual(result.status, 65, "\(request): \(result.stderr)")
      XCTAssertEqual(result.stdout, "", request)
      XCTAssertTrue(result.stderr.contains("m0-submit: error (line 1): " + expected), "\(request): \(result.stderr)")
      XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "one sentence: \(result.stderr)")
      XCTAssertEqual(try Broker.depth(queue), 0, "nothing published for \(request)")
    }
  }

  func testGoodRequestsAroundABadOneAreStillQueued() throws {
    let queue = Broker.uniqueQueue("m0mixed")
    let result = try ToolInvocation.run(
      "m0-submit", ["--queue", queue, "--declare"],
      stdin: Self.batchRequest + "\n" + #"{"process_id":7}"# + "\n" + Self.liveRequest + "\n",
      environment: ["AMQP_URL": try Broker.url()])
    XCTAssertEqual(result.status, 65, result.stderr)
    XCTAssertTrue(result.stderr.contains("error (line 2): field \"cloud_stream_path\" is missing"), result.stderr)
    XCTAssertEqual(try result.records().map { $0["process_id"] }, [.integer(101), .integer(501)])
    XCTAssertEqual(try Broker.waitForDepth(queue, 2), 2)
  }
}
