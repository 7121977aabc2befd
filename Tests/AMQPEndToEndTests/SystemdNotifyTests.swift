import CliplineTestSupport
import Foundation
import XCTest

/// amqp-consume under a unit with `Type=notify` and `WatchdogSec=`: it says READY=1 once it consumes, WATCHDOG=1
/// while its loop turns, STOPPING=1 on SIGTERM, to the socket `NOTIFY_SOCKET` names (here one of ours, as systemd's).
final class SystemdNotifyTests: XCTestCase {
  func testAMQPConsumeSaysReadyPingsTheWatchdogAndSaysStopping() throws {
    let scratch = try ScratchDirectory("notify")
    let listener = try NotifySocket(path: scratch.file("notify"))
    let queue = Broker.uniqueQueue("notify")
    let consumer = try BackgroundTool(
      "amqp-consume", ["--queue", queue, "--declare", "--", "cat"],
      environment: ["AMQP_URL": try Broker.url(), "NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "1000000"],
      scratch: scratch)
    var said: [String] = []
    try eventually(timeout: 30, "READY=1 and then two WATCHDOG=1") {
      said += listener.receive()
      let afterReady = said.drop { $0 != "READY=1" }
      return afterReady.filter { $0 == "WATCHDOG=1" }.count >= 2
    }
    XCTAssertTrue(said.contains("STATUS=consuming \(queue)"), "\(said)")
    XCTAssertEqual(try Broker.depth(queue), 0, "ready means the queue was declared and is consumed")
    consumer.process.terminate()
    XCTAssertEqual(try consumer.wait(timeout: 60), 0, consumer.stderr)
    said += listener.receive()
    XCTAssertTrue(said.contains("STOPPING=1"), "\(said)")
  }
}

/// A unix datagram socket bound to `path`, as systemd's notification socket is: each datagram is split into its
/// lines (sd_notify's assignments).
final class NotifySocket {
  let path: String
  private let descriptor: Int32

  init(path: String) throws {
    self.path = path
    descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    guard descriptor >= 0, bound == 0 else { throw TestFailure("cannot bind \(path): errno \(errno)") }
  }

  deinit { close(descriptor) }

  /// The lines of every datagram waiting now.
  func receive() -> [String] {
    var lines: [String] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = recv(descriptor, &buffer, buffer.count, 0)
      guard count > 0 else { return lines }
      lines += String(decoding: buffer[..<count], as: UTF8.self).split(separator: "\n").map(String.init)
    }
  }
}
