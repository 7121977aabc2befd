import Foundation

/// The families a tool counts for whoever reads its figures: its consumer, when it runs inside an `amqp-consume`
/// handler (the report channel; the consumer adds the `queue` label), or the tool's own `/metrics` (kvs-follow).
/// Every label takes a few known values, or a name an operator chose (a GraphQL operation): bounded either way.
extension ClipMetrics {
  /// Stage durations: five milliseconds (one GraphQL request) to half an hour (a long cut).
  public static let stageBuckets: [Double] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800,
  ]

  public static let storedBytes = MetricDescriptor(
    "clipline_stored_bytes_total", .counter,
    help: "Bytes stored, by destination kind (s3, az, file); a server-side copy counts its object's bytes.",
    labels: ["destination"])
  public static let storedObjects = MetricDescriptor(
    "clipline_stored_objects_total", .counter, help: "Objects stored, by destination kind (s3, az, file).",
    labels: ["destination"])
  public static let chunksCut = MetricDescriptor(
    "clipline_chunks_cut_total", .counter, help: "Chunks cut, by mode (copy, transcode).", labels: ["mode"])
  public static let videoCut = MetricDescriptor(
    "clipline_video_cut_seconds_total", .counter, help: "Seconds of video cut into chunks, by mode.",
    labels: ["mode"])
  public static let graphQLRequests = MetricDescriptor(
    "clipline_graphql_requests_total", .counter,
    help: "GraphQL operations sent (each of a --batch request's), by operation and outcome (ok, error, failed).",
    labels: ["operation", "outcome"])
  public static let stageDuration = MetricDescriptor(
    "clipline_stage_duration_seconds", .histogram,
    help: "How long each step of a stage took: a source's download, its cut, a record's upload, a GraphQL request, "
      + "a message's publish until confirmed.", labels: ["stage"], buckets: stageBuckets)

  /// What a tool may report; anything else in a report is ignored.
  public static let reported = [storedBytes, storedObjects, chunksCut, videoCut, graphQLRequests, stageDuration]

  /// The values a reported label may take; a label not named here takes a name (letters, digits, `_`, `.`, `-`,
  /// `+`, at most 64).
  static let labelValues: [String: Set<String>] = [
    "destination": ["s3", "az", "file", "http"], "mode": ["copy", "transcode"],
    "outcome": ["ok", "error", "failed"], "stage": Set(ToolMetrics.Stage.allCases.map(\.rawValue)),
  ]

  /// A reported family as a consumer shows it: the same, with the consumer's `queue` first.
  public static func perQueue(_ descriptor: MetricDescriptor) -> MetricDescriptor {
    MetricDescriptor(
      descriptor.name, descriptor.kind, help: descriptor.help, labels: ["queue"] + descriptor.labels,
      buckets: descriptor.buckets)
  }
}
