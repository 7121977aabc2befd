import CliplineRecords
import CliplineSystem
import Foundation

/// Where and as whom to connect, parsed from an AMQP URI (`amqp://user:pass@host:port/vhost?heartbeat=30`).
/// Follows the RabbitMQ URI spec: the path is the percent-encoded vhost, so `/%2f` is the default vhost `/`,
/// no path at all also means `/`, and a bare trailing `/` means the empty vhost (which RabbitMQ does not have).
public struct AMQPEndpoint: Equatable, Sendable, CustomStringConvertible {
  public var usesTLS: Bool
  public var host: String
  public var port: Int
  public var user: String
  public var password: String
  public var vhost: String
  /// Query parameters the URI may carry (`heartbeat`, `connection_timeout`); flags override them.
  public var heartbeat: Int?
  public var connectTimeout: Double?

  public struct InvalidURL: Error, CustomStringConvertible, ExitStatusProviding {
    public let reason: String
    public var description: String { "AMQP URL: \(reason)" }
    public var exitStatus: ExitStatus { .usage }
  }

  public init(url text: String) throws {
    try Self.refuseStrayCharacters(text)
    let schemeEnd = text.range(of: "://")
    guard let schemeEnd else { throw InvalidURL(reason: "expected amqp://… or amqps://…") }
    let scheme = text[..<schemeEnd.lowerBound].lowercased()
    switch scheme {
    case "amqp": usesTLS = false
    case "amqps": usesTLS = true
    default: throw InvalidURL(reason: "the scheme must be amqp or amqps, not \"\(scheme)\"")
    }
    var rest = Substring(text[schemeEnd.upperBound...])
    var query: Substring = ""
    if let mark = rest.firstIndex(of: "?") {
      query = rest[rest.index(after: mark)...]
      rest = rest[..<mark]
    }
    var path: Substring?
    if let slash = rest.firstIndex(of: "/") {
      path = rest[rest.index(after: slash)...]
      rest = rest[..<slash]
    }
    var hostPart = rest
    (user, password) = ("guest", "guest")
    if let at = rest.lastIndex(of: "@") {
      let credentials = rest[..<at]
      hostPart = rest[rest.index(after: at)...]
      let pieces = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
      user = try Self.decode(pieces[0], "user")
      password = pieces.count > 1 ? try Self.decode(pieces[1], "password") : ""
    }
    (host, port) = try Self.hostAndPort(hostPart, defaultPort: usesTLS ? 5671 : 5672)
    vhost = try Self.vhost(path)
    (heartbeat, connectTimeout) = try Self.parameters(query)
  }

  /// A URL is written in visible ASCII; anything else (a space, a control byte, a quote, a fragment) would otherwise
  /// end up in the user or host and connect somewhere the URL did not say.
  private static func refuseStrayCharacters(_ text: String) throws {
    let refused = Set(" \"<>\\^`{|}#".unicodeScalars)
    guard
      let stray = text.unicodeScalars.first(where: {
        !$0.isASCII || $0.value < 0x21 || $0.value == 0x7F || refused.contains($0)
      })
    else { return }
    let shown =
      switch stray.value {
      case 0x20: "a space"
      case 0..<0x20, 0x7F: String(format: "the control byte 0x%02X", stray.value)
      default: "'\(stray)'"
      }
    throw InvalidURL(reason: "it has \(shown), which a URL writes percent-encoded (%XX)")
  }

  /// `host`, `host:port` or `[v6]:port`; an empty host is localhost.
  private static func hostAndPort(_ text: Substring, defaultPort: Int) throws -> (String, Int) {
    var host: String
    var port = defaultPort
    if text.hasPrefix("[") {  // [::1]:5672
      guard let close = text.firstIndex(of: "]") else { throw InvalidURL(reason: "an IPv6 host lacks its ']'") }
      host = String(text[text.index(after: text.startIndex)..<close])
      let after = text[text.index(after: close)...]
      if after.hasPrefix(":") { port = try Self.port(after.dropFirst()) }
    } else if let colon = text.lastIndex(of: ":") {
      host = String(text[..<colon])
      port = try Self.port(text[text.index(after: colon)...])
    } else {
      host = String(text)
    }
    return (host.isEmpty ? "localhost" : host, port)
  }

  /// The percent-encoded vhost of the path; no path at all is `/`.
  private static func vhost(_ path: Substring?) throws -> String {
    guard let path else { return "/" }
    guard !path.contains("/") else {
      throw InvalidURL(reason: "the vhost \"\(path)\" has a '/': write it percent-encoded (%2f)")
    }
    return try decode(path, "vhost")
  }

  /// `heartbeat` (seconds) and `connection_timeout` (milliseconds, as pika and the URI spec write it).
  private static func parameters(_ query: Substring) throws -> (heartbeat: Int?, connectTimeout: Double?) {
    var (heartbeat, connectTimeout): (Int?, Double?) = (nil, nil)
    for item in query.split(separator: "&") where !item.isEmpty {
      let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      let value = pair.count > 1 ? String(pair[1]) : ""
      switch pair[0] {
      case "heartbeat":
        guard let seconds = Int(value), seconds >= 0 else {
          throw InvalidURL(reason: "heartbeat=\(value) is not seconds")
        }
        heartbeat = seconds
      case "connection_timeout":
        guard let milliseconds = Double(value), milliseconds > 0 else {
          throw InvalidURL(reason: "connection_timeout=\(value) is not milliseconds")
        }
        connectTimeout = milliseconds / 1000
      default:
        continue  // other clients' parameters (channel_max, …) are not ours to refuse
      }
    }
    return (heartbeat, connectTimeout)
  }

  /// The URL with its password hidden, for logs.
  public var description: String {
    let scheme = usesTLS ? "amqps" : "amqp"
    let encodedVhost = vhost.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? vhost
    return "\(scheme)://\(user)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(encodedVhost)"
  }

  private static func decode(_ text: Substring, _ part: String) throws -> String {
    guard let decoded = String(text).removingPercentEncoding else {
      throw InvalidURL(reason: "the \(part) has a broken percent-escape")
    }
    return decoded
  }

  private static func port(_ text: Substring) throws -> Int {
    guard let port = Int(text), (1...65535).contains(port) else {
      throw InvalidURL(reason: "port \"\(text)\" is not a port")
    }
    return port
  }
}

/// Everything needed to open a connection: the endpoint plus TLS material and timings.
public struct ConnectionOptions: Sendable {
  public var endpoint: AMQPEndpoint
  /// Seconds between heartbeats, 0 to turn them off.
  public var heartbeat: Int
  public var connectTimeout: Double
  /// Shown in the RabbitMQ management UI and `rabbitmqctl list_connections client_properties`.
  public var connectionName: String?
  public var caFile: String?
  public var certificateFile: String?
  public var keyFile: String?
  public var verifyPeer: Bool

  public init(
    endpoint: AMQPEndpoint, heartbeat: Int? = nil, connectTimeout: Double? = nil, connectionName: String? = nil,
    caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil, verifyPeer: Bool = true
  ) {
    self.endpoint = endpoint
    self.heartbeat = heartbeat ?? endpoint.heartbeat ?? 30
    self.connectTimeout = connectTimeout ?? endpoint.connectTimeout ?? 10
    self.connectionName = connectionName
    self.caFile = caFile
    self.certificateFile = certificateFile
    self.keyFile = keyFile
    self.verifyPeer = verifyPeer
  }
}
