import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// `amqp-consume --metrics-listen` scraped by a real Prometheus, and `--metrics-file` read by promtool (issue 25).
final class AMQPConsumeMetricsTests: XCTestCase {
  private func environment() throws -> [String: String] { ["AMQP_URL": try Broker.url()] }

  private func curl(_ url: String) throws -> String {
    let result = try ToolInvocation.runProcess(
      "/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", url])
    return result.stdout
  }

  func testPrometheusScrapesTheConsumersCountersAndHistogram() throws {
    let queue = Broker.uniqueQueue("metrics")
    try Broker.declare(queue)
    let scratch = try ScratchDirectory("amqp-metrics")
    let textfile = scratch.file("amqp-consume.prom")
    let listen = "127.0.0.1:\(try PrometheusServer.freePort())"
    let prometheus = try PrometheusServer(scraping: [listen])
    let script = #"n=$(cat | sed 's/[^0-9]//g'); [ "$n" -lt 3 ] || exit 3"#
    let consumer = try BackgroundTool(
      "amqp-consume",
      [
        "--queue", queue, "--metrics-listen", listen, "--metrics-file", textfile, "--max-retries", "0",
        "--", "/bin/sh", "-c", script,
      ], environment: try environment(), scratch: scratch)
    defer { if consumer.process.isRunning { consumer.process.terminate() } }
    try eventually("the consumer is ready") { try curl("http://\(listen)/readyz") == "200" }
    XCTAssertEqual(try curl("http://\(listen)/healthz"), "200")
    for n in 0..<4 { try Broker.pikaPublish(queue, body: "{\"n\":\(n)}", headers: [:]) }

    let selector = "{queue=\"\(queue)\"}"
    try prometheus.wait(for: "clipline_messages_acked_total\(selector)") { $0.first?.value == 3 }
    try prometheus.wait(for: "clipline_messages_dead_lettered_total\(selector)") { $0.first?.value == 1 }
    try prometheus.wait(for: "clipline_messages_received_total\(selector)") { $0.first?.value == 4 }
    try prometheus.wait(for: "clipline_handler_duration_seconds_count\(selector)") { series in
      let counts = Dictionary(
        uniqueKeysWithValues: series.map { ($0.labels["outcome"]! + "/" + $0.labels["exit_code"]!, $0.value) })
      return counts == ["acked/0": 3, "dead_lettered/3": 1]
    }
    try prometheus.wait(for: "clipline_broker_connected\(selector)") { $0.first?.value == 1 }
    try prometheus.wait(for: "clipline_build_info") { $0.first?.labels["tool"] == "amqp-consume" }
    try prometheus.wait(for: "clipline_dead_letter_queue_messages\(selector)") {
      $0.first?.value == 1 && $0.first?.labels["dead_letter_queue"] == queue + ".dlq"
    }

    consumer.process.terminate()
    XCTAssertEqual(try consumer.wait(), 0, consumer.stderr)
    XCTAssertTrue(consumer.stderr.contains("serving metrics on http://\(listen)/metrics"), consumer.stderr)
    let written = try String(contentsOfFile: textfile, encoding: .utf8)
    let inFile = "{textfile=\"amqp-consume\",queue=\"\(queue)\"}"
    XCTAssertTrue(written.contains("clipline_messages_acked_total\(inFile) 3"), written)
    XCTAssertTrue(written.contains("clipline_broker_connected\(inFile) 0"), "written as it stopped: \(written)")
    let lint = try ToolInvocation.runProcess("/usr/bin/promtool", ["check", "metrics"], stdin: Data(written.utf8))
    XCTAssertEqual(lint.status, 0, lint.stdout + lint.stderr)
  }

  /// A handler's tools report their counts and stage timings on descriptor 3; the consumer's metrics show them
  /// under its queue: chunks cut and seconds of video, bytes and objects stored by destination kind, and the cut,
  /// upload and publish stages (issue 25: no second metrics server per process).
  func testAHandlersCountsAndStageTimingsReachTheConsumersMetrics() throws {
    let (queue, next) = (Broker.uniqueQueue("stages"), Broker.uniqueQueue("stages-out"))
    try Broker.declare(queue)
    try Broker.declare(next)
    let scratch = try ScratchDirectory("amqp-stages")
    let textfile = scratch.file("amqp-consume.prom")
    let video = try FixtureVideo.path(FixtureVideo.Spec(seconds: 6, gopFrames: 25))
    let request = #"{"process_id":7,"cloud_stream_path":"\#(video)","video_preprocessing":{"chunk_duration":2}}"#
    for _ in 0..<2 { try Broker.pikaPublish(queue, body: request, headers: [:]) }
    let script =
      #""$CHUNK" --to "file://$STORE/{process_id}/{chunk_id}.mp4=cloud_stream_path" | "$AMQP_PUB" -q "$NEXT""#
    let result = try ToolInvocation.run(
      "amqp-consume", ["--queue", queue, "--count", "2", "--metrics-file", textfile, "--", "/bin/sh", "-c", script],
      environment: [
        "AMQP_URL": try Broker.url(), "CHUNK": ToolInvocation.path(of: "chunk"),
        "AMQP_PUB": ToolInvocation.path(of: "amqp-pub"), "STORE": scratch.file("store"), "NEXT": next,
      ], removingEnvironment: ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"], timeout: 120)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(try Broker.depth(next), 6, "three chunks a job")
    let stored = try FileManager.default.contentsOfDirectory(atPath: scratch.file("store/7"))
    let bytes = try stored.map { try FileManager.default.attributesOfItem(atPath: scratch.file("store/7/\($0)")) }
      .compactMap { ($0[.size] as? NSNumber)?.intValue }.reduce(0, +)

    let text = try String(contentsOfFile: textfile, encoding: .utf8)
    func value(_ series: String) -> Double? {
      text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
    }
    let q = "textfile=\"amqp-consume\",queue=\"\(queue)\""
    XCTAssertEqual(value("clipline_chunks_cut_total{\(q),mode=\"copy\"}"), 6, text)
    XCTAssertEqual(value("clipline_video_cut_seconds_total{\(q),mode=\"copy\"}") ?? 0, 12, accuracy: 0.2, text)
    XCTAssertEqual(value("clipline_stored_objects_total{\(q),destination=\"file\"}"), 6, text)
    // Both jobs wrote the same three keys, byte for byte: twice what the store holds.
    XCTAssertEqual(value("clipline_stored_bytes_total{\(q),destination=\"file\"}"), Double(2 * bytes), text)
    for (stage, count) in [("cut", 2), ("upload", 6), ("publish", 6)] {
      XCTAssertEqual(value("clipline_stage_duration_seconds_count{\(q),stage=\"\(stage)\"}"), Double(count), text)
    }
    XCTAssertNil(value("clipline_stage_duration_seconds_count{\(q),stage=\"download\"}"), "read in place: \(text)")
    let lint = try ToolInvocation.runProcess("/usr/bin/promtool", ["check", "metrics"], stdin: Data(text.utf8))
    XCTAssertEqual(lint.status, 0, lint.stdout + lint.stderr)
  }

  /// node_exporter's textfile collector serves two consumers' `--metrics-file`s (the m0 and s2 workers of one host)
  /// beside its own series. A series both files hold (`clipline_build_info{tool="amqp-consume"}`,
  /// `clipline_spans_dropped_total`) or one node_exporter has itself (`process_start_time_seconds`) fails every
  /// scrape's gathering (the file's series dropped, `promhttp_metric_handler_errors_total{cause="gathering"}` up):
  /// each file's series carry its name as `textfile`.
  func testNodeExporterServesTwoConsumersFilesWithoutAGatheringError() throws {
    let directory = try ScratchDirectory("node-exporter")
    var queues: [String: String] = [:]
    for worker in ["m0-worker", "s2-worker"] {
      let queue = Broker.uniqueQueue("textfile")
      queues[worker] = queue
      try Broker.declare(queue)
      try Broker.pikaPublish(queue, body: #"{"n":1}"#, headers: [:])
      let result = try ToolInvocation.run(
        "amqp-consume",
        ["--queue", queue, "--count", "1", "--metrics-file", directory.file("\(worker).prom"), "--", "/bin/cat"],
        environment: try environment())
      XCTAssertEqual(result.status, 0, result.stderr)
    }
    let text = try NodeExporter(textfiles: directory.path).secondScrape()
    XCTAssertEqual(NodeExporter.value("node_textfile_scrape_error", in: text), 0, text)
    XCTAssertEqual(NodeExporter.gatheringErrors(in: text), 0, text)
    for (worker, queue) in queues {
      let labels = ["textfile": worker, "queue": queue]
      XCTAssertEqual(NodeExporter.value("clipline_messages_acked_total", labels, in: text), 1, text)
      XCTAssertEqual(NodeExporter.value("clipline_build_info", ["textfile": worker], in: text), 1, text)
    }
    XCTAssertEqual(NodeExporter.series("clipline_build_info", ["tool": "amqp-consume"], in: text).count, 2, text)
    XCTAssertTrue(text.contains("# HELP process_start_time_seconds Start time of the process"), "node_exporter's own")
  }

  func testAListenAddressInUseFailsAtOnceWith78() throws {
    let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(holder) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(holder, $0, length) == 0 && listen(holder, 1) == 0 && getsockname(holder, $0, &length) == 0
      }
    }
    XCTAssertTrue(bound)
    let port = UInt16(bigEndian: address.sin_port)
    let result = try ToolInvocation.run(
      "amqp-consume", ["--queue", "unused", "--metrics-listen", "127.0.0.1:\(port)", "--", "/bin/true"],
      environment: try environment(), timeout: 30)
    XCTAssertEqual(result.status, 78, result.stderr)
    XCTAssertEqual(
      result.stderr, "amqp-consume: error: cannot listen on 127.0.0.1:\(port): Address already in use\n")

    let malformed = try ToolInvocation.run(
      "amqp-consume", ["--queue", "unused", "--metrics-listen", "9464", "--", "/bin/true"],
      environment: try environment(), timeout: 30)
    XCTAssertEqual(malformed.status, 64, malformed.stderr)
    XCTAssertTrue(malformed.stderr.contains("--metrics-listen takes ADDR:PORT"), malformed.stderr)
  }
}
