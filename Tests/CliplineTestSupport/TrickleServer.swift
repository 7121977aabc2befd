import Foundation

/// scripts/testbeds/trickle_server.py: an HTTP server that sends files slowly, can hold back their last 64 KB until
/// released (so a test knows the download has not ended), can cut the connection midway, and can ignore ranges.
public final class TrickleServer {
  public let baseURL: String
  private let process = Process()

  public init(directory: String, ranges: Bool = true) throws {
    let port = try Testbed.start(
      process, script: "trickle_server.py", ["--directory", directory] + (ranges ? [] : ["--no-ranges"]))
    baseURL = "http://127.0.0.1:\(port)"
  }

  deinit {
    process.terminate()
    process.waitUntilExit()
  }

  /// The server's own account: whether a transfer is holding its last bytes, how many were sent whole.
  public func status() throws -> (held: Bool, completed: Int) {
    let result = try ToolInvocation.runProcess("/usr/bin/curl", ["-sf", baseURL + "/status"])
    guard result.status == 0,
      let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    else { throw TestFailure("no status from the trickle server: \(result.stderr)") }
    return (object["held"] as? Bool ?? false, object["completed"] as? Int ?? -1)
  }

  /// What the server sent: the file bytes of every response together, and the Range headers it was asked for.
  public func traffic() throws -> (bytesSent: Int, ranges: [String]) {
    let result = try ToolInvocation.runProcess("/usr/bin/curl", ["-sf", baseURL + "/status"])
    guard result.status == 0,
      let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    else { throw TestFailure("no status from the trickle server: \(result.stderr)") }
    return (object["bytes_sent"] as? Int ?? -1, object["ranges"] as? [String] ?? [])
  }

  /// Lets held transfers send their last bytes.
  public func release() throws {
    let result = try ToolInvocation.runProcess("/usr/bin/curl", ["-sf", baseURL + "/release"])
    guard result.status == 0 else { throw TestFailure("could not release the trickle server: \(result.stderr)") }
  }
}

/// Reference cuts for streaming tests: the same source cut from a local file.
public enum ChunkReference {
  /// The `chunk_hash` of every chunk `chunk` cuts from a local copy of `source`.
  public static func hashes(of source: String, chunkDuration: Int) throws -> [String] {
    let scratch = try ScratchDirectory("reference")
    let result = try ToolInvocation.run(
      "chunk", ["--source", source, "--chunk-duration", String(chunkDuration), "-o", scratch.path])
    guard result.status == 0 else { throw TestFailure("the reference cut failed: \(result.stderr)") }
    return try result.records().compactMap { $0["chunk_hash"]?.stringValue }
  }

  /// A copy of an MP4 with its index (moov) after the media, as ffmpeg writes it without +faststart.
  public static func moovAtEnd(_ source: String, in directory: String) throws -> String {
    let path = (directory as NSString).appendingPathComponent("moov-at-end.mp4")
    let result = try ToolInvocation.runProcess(
      "/usr/bin/ffmpeg", ["-v", "error", "-y", "-i", source, "-c", "copy", "-map", "0", path])
    guard result.status == 0 else { throw TestFailure("ffmpeg could not remux: \(result.stderr)") }
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    guard let moov = bytes.range(of: Data("moov".utf8)), let mdat = bytes.range(of: Data("mdat".utf8)),
      moov.lowerBound > mdat.lowerBound
    else { throw TestFailure("\(path) does not keep its index at the end") }
    return path
  }
}
