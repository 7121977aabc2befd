import CliplineSystem
import Foundation

/// One HTTP/1.1 request on an accepted connection and its answer, then the connection closes: all a scraper or a
/// kubelet probe needs. The client has `deadline` seconds in all to send its request head and take the answer.
struct HTTPExchange {
  struct Answer {
    var status: Int
    var contentType: String
    var body: String
  }

  let client: Int32
  var deadline = 2.0
  static let largestHead = 8 * 1024

  /// Reads the request, asks `route` for the answer to its path, writes it, closes the connection.
  func answer(_ route: (String) -> Answer) {
    defer { close(client) }
    let end = Date().addingTimeInterval(deadline)
    var timeout = timeval(tv_sec: Int(deadline), tv_usec: 0)
    _ = setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    guard let head = readHead(until: end) else { return }
    let words = head.split(separator: " ", maxSplits: 2)
    let answer: Answer
    var withBody = true
    if words.count < 2 || !words[0].allSatisfy(\.isLetter) {
      answer = Answer(status: 400, contentType: "text/plain", body: "bad request\n")
    } else if words[0] == "GET" || words[0] == "HEAD" {
      withBody = words[0] == "GET"
      answer = route(String(words[1]))
    } else {
      answer = Answer(status: 405, contentType: "text/plain", body: "only GET and HEAD\n")
    }
    write(answer, withBody: withBody)
  }

  /// The request line, once the whole head (up to the blank line) arrived; nil if it did not in time.
  private func readHead(until end: Date) -> String? {
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 2048)
    while received.count < Self.largestHead {
      let left = end.timeIntervalSinceNow
      guard left > 0, (try? SocketWait.readable(client, or: nil, seconds: left))?.socket == true else { return nil }
      let count = (try? buffer.withUnsafeMutableBytes { try FileDescriptorIO.read(client, into: $0) }) ?? 0
      if count <= 0 { break }
      received += buffer[0..<count]
      if Self.headEnds(in: received) { break }
    }
    guard let lineEnd = received.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
    return String(decoding: received[..<lineEnd], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  static func headEnds(in bytes: [UInt8]) -> Bool {
    let text = bytes.suffix(4)
    return text.elementsEqual("\r\n\r\n".utf8) || text.suffix(2).elementsEqual("\n\n".utf8)
  }

  private func write(_ answer: Answer, withBody: Bool) {
    let reasons = [200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"]
    let body = Array(answer.body.utf8)
    var head = "HTTP/1.1 \(answer.status) \(reasons[answer.status] ?? "Service Unavailable")\r\n"
    head += "Content-Type: \(answer.contentType)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
    let bytes = Array(head.utf8) + (withBody ? body : [])
    // A client that went away costs an EPIPE here, never a signal (MSG_NOSIGNAL); the send timeout bounds a stall.
    var offset = 0
    while offset < bytes.count {
      let sent = bytes.withUnsafeBytes {
        send(client, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
      }
      if sent < 0 && errno == EINTR { continue }
      if sent <= 0 { return }
      offset += sent
    }
  }
}
