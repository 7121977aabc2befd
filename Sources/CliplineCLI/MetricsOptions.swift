import ArgumentParser
import CliplineRecords
import CliplineSystem
import CliplineTelemetry

/// `--metrics-file`: what a tool run from cron (kvs-discover, m0-submit, amqp-dlq) leaves for node_exporter's
/// textfile collector when it ends.
public struct MetricsFileOption: ParsableArguments {
  @Option(
    name: .long,
    help: ArgumentHelp(
      "Write Prometheus metrics to this file (for node_exporter's textfile collector: name it *.prom; "
        + "its name without .prom labels every series as textfile).",
      valueName: "path"), completion: .file())
  public var metricsFile: String?

  public init() {}

  public var textfile: MetricsTextfile? { metricsFile.map(MetricsTextfile.init) }
}

/// `--metrics-listen` and `--metrics-file` for the long-running tools (amqp-consume, kvs-follow).
public struct MetricsOptions: ParsableArguments {
  @Option(
    name: .long,
    help: ArgumentHelp(
      "Serve GET /metrics (Prometheus), /healthz and /readyz on this address (127.0.0.1:9464; :9464 for every "
        + "interface).", valueName: "addr:port"))
  public var metricsListen: String?

  @OptionGroup public var file: MetricsFileOption

  public init() {}

  public func validate() throws {
    if let metricsListen, !MetricsListener.isAddress(metricsListen) {
      throw ValidationError("--metrics-listen takes ADDR:PORT (127.0.0.1:9464, :9464, [::1]:9464).")
    }
  }

  /// Whether anything asked for metrics: without either flag nothing is kept or served.
  public var isEnabled: Bool { metricsListen != nil || file.metricsFile != nil }

  /// Starts the listener when asked for, saying where on stderr (port 0 picks one).
  public func listener(
    _ registry: MetricRegistry, probes: MetricsListener.Probes, diagnostics: Diagnostics
  ) throws -> MetricsListener? {
    guard let metricsListen else { return nil }
    let listener = try MetricsListener(listen: metricsListen, registry: registry, probes: probes)
    diagnostics.info("serving metrics on http://\(listener.address)/metrics")
    return listener
  }
}
