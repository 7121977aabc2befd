import Foundation

/// The shipped pipelines in `examples/`, run with the built tools first on PATH.
public enum ExampleScript {
  /// The repository's root (where Package.swift is).
  public static var root: URL {
    var root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
      root = root.deletingLastPathComponent()
    }
    return root
  }

  /// `examples/NAME --shape-only`: what the worker would publish for the records on stdin.
  public static func shapeOnly(_ name: String, stdin: String, environment: [String: String] = [:]) throws
    -> ToolResult
  {
    let path = ToolInvocation.buildDirectory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    return try ToolInvocation.runProcess(
      "/bin/bash", [root.appendingPathComponent("examples/\(name)").path, "--shape-only"],
      stdin: Data((stdin + "\n").utf8),
      environment: environment.merging(["PATH": path]) { new, _ in new })
  }
}
