import Foundation

/// Python's http.server on a loopback port the kernel picks (it prints it once listening): a real HTTP server for
/// source downloads. (A random port could be taken, and polling it with curl gave up on a busy machine.)
public final class StaticHTTPServer {
  public let baseURL: String
  private let process: Process

  static let script = """
    import functools, http.server, sys
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    """

  public init(directory: String) throws {
    process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", Self.script, directory]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
    guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
      process.terminate()
      throw TestFailure("python3's http.server did not start: \(line)")
    }
    baseURL = "http://127.0.0.1:\(port)"
  }

  public func stop() {
    process.terminate()
    process.waitUntilExit()
  }
}
