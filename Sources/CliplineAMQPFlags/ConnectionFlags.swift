import ArgumentParser
import CliplineAMQP
import CliplineCLI
import CliplineRecords
import CliplineSystem

/// The connection flags `amqp-pub` and `amqp-consume` share, spelled the same way in both.
public struct ConnectionFlags: ParsableArguments {
  @Option(
    name: .shortAndLong,
    help: ArgumentHelp(
      "Broker URL, amqp://user:pass@host:port/vhost or amqps://... (default: $AMQP_URL, else amqp://localhost). "
        + "The vhost is percent-encoded: /%2f is the default vhost."))
  public var url: String?

  @Option(name: .long, help: "Seconds between heartbeats; 0 turns them off.")
  public var heartbeat: Int?

  @Option(name: .long, help: "How long to wait for the TCP (and TLS) connection and the login.")
  public var connectTimeout: DurationArgument?

  @Option(name: .long, help: "A name for the connection, shown by rabbitmqctl list_connections and the management UI.")
  public var connectionName: String?

  @Option(name: .long, help: "CA certificates (PEM) to verify an amqps:// broker with.", completion: .file())
  public var caFile: String?

  @Option(name: .long, help: "Client certificate (PEM) for amqps:// brokers that ask for one.", completion: .file())
  public var certFile: String?

  @Option(name: .long, help: "The client certificate's private key (PEM).", completion: .file())
  public var keyFile: String?

  // amqp-tools' spellings of the three files, kept working for scripts written for them.
  @Option(name: .customLong("cacert"), help: .hidden) var amqpToolsCAFile: String?
  @Option(name: .customLong("cert"), help: .hidden) var amqpToolsCertFile: String?
  @Option(name: .customLong("key"), help: .hidden) var amqpToolsKeyFile: String?

  @Flag(name: .long, help: "Do not verify the broker's TLS certificate (tests only: anyone could pose as the broker).")
  public var insecureSkipVerify = false

  public init() {}

  public func validate() throws {
    if let heartbeat { try check(heartbeat, "--heartbeat", within: 0...3600) }
    SecretFlags.noteURLPassword("--url", url, saferWays: "AMQP_URL in the environment")
    try connectTimeout?.check("--connect-timeout", within: 0.001...600)
    _ = try options(tool: "")
    if (keyFile ?? amqpToolsKeyFile) != nil && (certFile ?? amqpToolsCertFile) == nil {
      throw ValidationError("--key-file needs --cert-file.")
    }
  }

  /// Flags over `AMQP_URL` over the local default.
  public func options(tool: String) throws -> ConnectionOptions {
    let text = Settings.resolve(flag: url, environment: "AMQP_URL", default: "amqp://guest:guest@localhost:5672/%2f")!
    let endpoint: AMQPEndpoint
    do {
      endpoint = try AMQPEndpoint(url: text)
    } catch let error as AMQPEndpoint.InvalidURL {
      let source = url != nil ? "--url" : "$AMQP_URL"
      throw ValidationError("\(source): \(error.description) (\(SecretRedaction.url(text)))")
    }
    return ConnectionOptions(
      endpoint: endpoint, heartbeat: heartbeat, connectTimeout: connectTimeout?.seconds,
      connectionName: connectionName ?? tool, caFile: caFile ?? amqpToolsCAFile,
      certificateFile: certFile ?? amqpToolsCertFile, keyFile: keyFile ?? amqpToolsKeyFile,
      verifyPeer: !insecureSkipVerify)
  }
}

/// `--declare`: the queue and its dead-letter queue, durable, declared the same way by every tool.
public struct TopologyFlags: ParsableArguments {
  @Flag(name: .long, help: "Declare the queue (durable) and its dead-letter queue before use; harmless if they exist.")
  public var declare = false

  @Option(name: .long, help: "The dead-letter queue (default: QUEUE.dlq).")
  public var dlq: String?

  @Flag(name: .long, help: "With --declare: make them quorum queues (x-queue-type=quorum), replicated and safer.")
  public var quorum = false

  @Option(name: .long, help: "With --declare: messages older than this go to the dead-letter queue (x-message-ttl).")
  public var messageTtl: DurationArgument?

  public init() {}

  public func validate() throws {
    // x-message-ttl is a 32-bit count of milliseconds.
    try messageTtl?.check("--message-ttl", within: 0.001...(Double(UInt32.max) / 1000))
  }

  /// What a dry run says instead of declaring: nothing without --declare.
  public func wouldDeclare(queue: String?) -> String? {
    guard declare, let queue else { return nil }
    return topology(queue: queue).wouldDeclare
  }

  public func topology(queue: String) -> QueueTopology {
    QueueTopology(
      queue: queue, deadLetterQueue: dlq ?? QueueTopology.defaultDeadLetterQueue(for: queue), quorum: quorum,
      messageTTL: messageTtl?.seconds)
  }
}
