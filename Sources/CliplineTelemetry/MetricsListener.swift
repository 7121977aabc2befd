import CliplineSystem
import Foundation

/// `--metrics-listen ADDR:PORT`: `GET /metrics` (Prometheus' text format), `/healthz` and `/readyz` for Kubernetes
/// probes, on plain sockets and one thread of its own that sleeps in poll(2) until a scraper connects or `close()`.
/// One request per connection, answered in turn; a client gets 2 s to send its request and take the answer, so a
/// stuck one cannot hold the next scrape for long. Off the job's path: nothing here runs unless someone asks.
public final class MetricsListener: Sendable {
  /// What the probes answer: 200 with `ok`, or 503 with the reason.
  public struct Probes: Sendable {
    public var health: @Sendable () -> String?
    public var readiness: @Sendable () -> String?

    /// Each closure returns nil when fine, or why not.
    public init(health: @escaping @Sendable () -> String?, readiness: @escaping @Sendable () -> String?) {
      self.health = health
      self.readiness = readiness
    }
  }

  /// The address it listens on, with the port the kernel chose for port 0: `127.0.0.1:9464`, `[::1]:9464`.
  public let address: String
  private let socket: ListeningSocket
  private let wakeUp: WakeUpPipe
  private let thread: ThreadPool

  public init(listen: String, registry: MetricRegistry, probes: Probes) throws {
    let socket = try ListeningSocket(listen)
    let wakeUp = try WakeUpPipe()
    self.socket = socket
    self.wakeUp = wakeUp
    address = socket.address
    thread = ThreadPool(width: 1)
    thread.submit {
      while let client = socket.accept(orWakeUp: wakeUp) {
        HTTPExchange(client: client).answer { path in Self.route(path, registry: registry, probes: probes) }
      }
    }
  }

  /// Whether `text` is an address `--metrics-listen` takes (checked before anything starts).
  public static func isAddress(_ text: String) -> Bool { (try? ListeningSocket.split(text)) != nil }

  /// Stops serving; returns once the thread has left its loop.
  public func close() {
    wakeUp.signal()
    thread.waitUntilIdle()
  }

  static func route(_ path: String, registry: MetricRegistry, probes: Probes) -> HTTPExchange.Answer {
    switch path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path {
    case "/metrics":
      return .init(status: 200, contentType: PrometheusText.contentType, body: PrometheusText.render(registry))
    case "/healthz":
      return probe(probes.health())
    case "/readyz":
      return probe(probes.readiness())
    default:
      return .init(status: 404, contentType: "text/plain", body: "not found: try /metrics, /healthz or /readyz\n")
    }
  }

  private static func probe(_ problem: String?) -> HTTPExchange.Answer {
    .init(status: problem == nil ? 200 : 503, contentType: "text/plain", body: (problem ?? "ok") + "\n")
  }
}
