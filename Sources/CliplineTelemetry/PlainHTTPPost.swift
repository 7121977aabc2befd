import CliplineSystem
import Foundation

/// One HTTP/1.1 POST over a plain TCP connection, with a deadline for the whole exchange: how spans reach a
/// collector at an `http://` endpoint (the agent or sidecar a fleet runs beside its workers, OTLP's port 4318).
/// Plain sockets keep every tool free of libcurl and its thirty libraries, which would cost each short-lived tool
/// its loading time; an `https://` endpoint is refused once, with the reason, and its spans counted as dropped.
struct PlainHTTPPost {
  let host: String
  let port: String
  let path: String

  /// `http://host:port/path`; nil for anything else (https, no host).
  init?(url: String) {
    guard let components = URLComponents(string: url), components.scheme?.lowercased() == "http",
      let host = components.host, !host.isEmpty
    else { return nil }
    self.host = host
    port = String(components.port ?? 80)
    path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
  }

  /// Sends `body`; returns the status code. Throws when the collector cannot be reached or answers too late.
  func send(_ body: [UInt8], contentType: String, headers: [(String, String)], deadline: Double) throws -> Int {
    let end = Date().addingTimeInterval(deadline)
    let socket = try connect(until: end)
    defer { close(socket) }
    var head = "POST \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nContent-Type: \(contentType)\r\n"
    head += "Content-Length: \(body.count)\r\nConnection: close\r\n"
    for (name, value) in headers { head += "\(name): \(value)\r\n" }
    let request = Array((head + "\r\n").utf8) + body
    var timeout = timeval(tv_sec: max(1, Int(deadline)), tv_usec: 0)
    _ = setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    try request.withUnsafeBytes { bytes in
      var offset = 0
      while offset < bytes.count {
        let sent = Glibc.send(socket, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
        if sent < 0 && errno == EINTR { continue }
        guard sent > 0 else {
          throw PostFailure("sending to \(host):\(port) failed: \(String(cString: strerror(errno)))")
        }
        offset += sent
      }
    }
    return try status(from: socket, until: end)
  }

  private func connect(until end: Date) throws -> Int32 {
    var hints = addrinfo()
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    hints.ai_flags = AI_NUMERICSERV
    var found: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(host, port, &hints, &found) == 0, let info = found else {
      throw PostFailure("cannot resolve \(host)")
    }
    defer { freeaddrinfo(found) }
    let socket = Glibc.socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { throw PostFailure("no socket: \(String(cString: strerror(errno)))") }
    _ = fcntl(socket, F_SETFD, FD_CLOEXEC)
    // Non-blocking for the connect, so a collector that drops packets costs the deadline, not the kernel's minutes.
    let flags = fcntl(socket, F_GETFL)
    _ = fcntl(socket, F_SETFL, flags | O_NONBLOCK)
    if Glibc.connect(socket, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 && errno != EINPROGRESS {
      let code = errno
      close(socket)
      throw PostFailure("cannot connect to \(host):\(port): \(String(cString: strerror(code)))")
    }
    var writable = [pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)]
    let waited = poll(&writable, 1, Int32(max(0, end.timeIntervalSinceNow) * 1000))
    var error: Int32 = 0
    var length = socklen_t(MemoryLayout<Int32>.size)
    _ = getsockopt(socket, SOL_SOCKET, SO_ERROR, &error, &length)
    guard waited == 1, error == 0 else {
      close(socket)
      throw PostFailure(
        "cannot connect to \(host):\(port): \(waited == 1 ? String(cString: strerror(error)) : "timed out")")
    }
    _ = fcntl(socket, F_SETFL, flags)
    return socket
  }

  /// The status code of the answer's first line; the rest is read and dropped.
  private func status(from socket: Int32, until end: Date) throws -> Int {
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while !received.contains(UInt8(ascii: "\n")) && received.count < 16 * 1024 {
      let left = end.timeIntervalSinceNow
      guard left > 0, (try? SocketWait.readable(socket, or: nil, seconds: left))?.socket == true else {
        throw PostFailure("\(host):\(port) did not answer in time")
      }
      let count = (try? buffer.withUnsafeMutableBytes { try FileDescriptorIO.read(socket, into: $0) }) ?? 0
      if count <= 0 { break }
      received += buffer[0..<count]
    }
    let line = String(decoding: received.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    let words = line.split(separator: " ")
    guard words.count >= 2, words[0].hasPrefix("HTTP/"), let code = Int(words[1]) else {
      throw PostFailure("\(host):\(port) answered something that is not HTTP")
    }
    return code
  }
}

struct PostFailure: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
