import CliplineHTTP
import Foundation

/// Idle libcurl handles shared by the threads of one store, so connections are reused across requests
/// (one TLS handshake per connection, not per small object) while each handle serves one thread at a time.
///
/// `lock` guards `idle`; a client taken from it belongs to one thread until `with` puts it back, so no HTTPClient
/// (not Sendable: one curl handle) is used by two threads at once. `options` is immutable.
final class HTTPClientPool: @unchecked Sendable {
  private let lock = NSLock()
  private var idle: [HTTPClient] = []
  private let options: HTTPClient.Options

  init(options: HTTPClient.Options = HTTPClient.Options()) { self.options = options }

  func with<T>(_ body: (HTTPClient) throws -> T) rethrows -> T {
    let client = lock.withLock { idle.popLast() } ?? HTTPClient(options: options)
    defer { lock.withLock { if idle.count < 32 { idle.append(client) } } }
    return try body(client)
  }
}
