import CliplineSystem
import Foundation

/// A TCP socket listening on `HOST:PORT` (`127.0.0.1:9464`, `:9464` for every interface, `[::1]:9464`, port 0 for
/// one the kernel picks). It owns the descriptor: opened in `open`, closed only in `deinit`.
final class ListeningSocket: Sendable {
  let descriptor: Int32
  /// Where it listens, as numbers (`127.0.0.1:43121`): the port is the real one when 0 was asked for.
  let address: String

  init(_ listen: String) throws {
    let (host, port) = try Self.split(listen)
    descriptor = try Self.open(host: host, port: port, listen: listen)
    address = Self.boundAddress(descriptor) ?? listen
  }

  deinit { close(descriptor) }

  /// `HOST:PORT` into its parts; an empty host is every IPv4 interface.
  static func split(_ listen: String) throws -> (host: String, port: String) {
    guard let colon = listen.lastIndex(of: ":"), let port = UInt16(listen[listen.index(after: colon)...]) else {
      throw TelemetrySetupError(
        "cannot listen on \(listen)", reason: "give it as HOST:PORT (127.0.0.1:9464, :9464, [::1]:9464)", .usage)
    }
    var host = String(listen[..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return (host.isEmpty ? "0.0.0.0" : host, String(port))
  }

  private static func open(host: String, port: String, listen: String) throws -> Int32 {
    var hints = addrinfo()
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var found: UnsafeMutablePointer<addrinfo>?
    let looked = getaddrinfo(host, port, &hints, &found)
    guard looked == 0, let info = found else {
      throw TelemetrySetupError("cannot listen on \(listen)", reason: String(cString: gai_strerror(looked)), .usage)
    }
    defer { freeaddrinfo(found) }
    let descriptor = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw TelemetrySetupError("cannot listen on \(listen)", errno: errno) }
    _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
    var one: Int32 = 1
    _ = setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    guard bind(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, Glibc.listen(descriptor, 16) == 0 else {
      let code = errno
      close(descriptor)
      throw TelemetrySetupError("cannot listen on \(listen)", errno: code)
    }
    return descriptor
  }

  private static func boundAddress(_ descriptor: Int32) -> String? {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
    var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
    let named = withUnsafeMutablePointer(to: &storage) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
        getsockname(descriptor, address, &length) == 0
          && getnameinfo(
            address, length, &host, socklen_t(host.count), &service, socklen_t(service.count),
            NI_NUMERICHOST | NI_NUMERICSERV) == 0
      }
    }
    guard named else { return nil }
    let hostText = String(nulTerminated: host)
    let serviceText = String(nulTerminated: service)
    return hostText.contains(":") ? "[\(hostText)]:\(serviceText)" : "\(hostText):\(serviceText)"
  }

  /// The next client's descriptor, or nil once `wakeUp` is signalled. Sleeps in poll(2) meanwhile.
  func accept(orWakeUp wakeUp: WakeUpPipe) -> Int32? {
    while true {
      guard let ready = try? SocketWait.readable(descriptor, or: wakeUp.readDescriptor, seconds: .infinity),
        !ready.wakeUp
      else { return nil }
      let client = Foundation.accept(descriptor, nil, nil)
      if client >= 0 {
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        return client
      }
      // Out of descriptors, say: wait a moment (or for the wake-up) rather than spin on a listener still readable.
      if errno != EINTR && errno != ECONNABORTED {
        if (try? SocketWait.readable(wakeUp.readDescriptor, or: nil, seconds: 0.1))?.socket == true { return nil }
      }
    }
  }
}
