import Foundation

/// An OTLP/HTTP receiver built on the OpenTelemetry project's protobuf definitions
/// (scripts/testbeds/otlp_receiver.py): each span it receives becomes one JSON line of `output`; `status` other than
/// 200 makes it refuse every export. Stopped when released.
public final class OTLPReceiver {
  private let process = Process()
  public let port: String
  public let output: String

  public init(scratch: ScratchDirectory, status: Int = 200) throws {
    port = try PrometheusServer.freePort()
    output = scratch.file("spans-\(port).jsonl")
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      "python3", Broker.repositoryRoot + "/scripts/testbeds/otlp_receiver.py", port, output, "--status",
      String(status),
    ]
    let ready = Pipe()
    process.standardOutput = ready
    try process.run()
    _ = ready.fileHandleForReading.availableData  // "ready"
  }

  deinit { process.terminate() }

  public var spans: [[String: Any]] {
    let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    return text.split(separator: "\n").compactMap {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
  }
}
