import CliplineTestSupport
import Foundation
import XCTest

/// Every tool documents itself the same way, and the committed man pages and completions match the code.
/// (`scripts/generate-docs --check`, run by `scripts/test`, also regenerates the man pages and compares them.)
final class ToolDocsTests: XCTestCase {
  /// The tools: Package.swift lists them once, in `let tools = [...]`, and makes a product and a `tool(...)` target
  /// of each; reading that list here means a new tool cannot be forgotten.
  static func tools() throws -> [String] {
    let manifest = try String(contentsOfFile: packageRoot + "/Package.swift", encoding: .utf8)
    guard let list = manifest.range(of: #"let tools = \[[^\]]*\]"#, options: .regularExpression) else { return [] }
    let names = try NSRegularExpression(pattern: #""([a-z0-9-]+)""#)
    let text = String(manifest[list])
    return names.matches(in: text, range: NSRange(text.startIndex..., in: text)).map {
      String(text[Range($0.range(at: 1), in: text)!])
    }
  }

  static var packageRoot: String {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
      url.deleteLastPathComponent()
      if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
    }
    return FileManager.default.currentDirectoryPath
  }

  func testEveryToolIsAProduct() throws {
    XCTAssertTrue(try Self.tools().contains("chunk"))
    XCTAssertGreaterThanOrEqual(try Self.tools().count, 9)
  }

  /// `--version` says the version on its first line, then, as `ffmpeg -version` does, the commit and the C
  /// libraries the process runs with (FFmpeg's included: loaded to be asked).
  func testEveryToolAnswersVersion() throws {
    for tool in try Self.tools() + ["clipline"] {
      let version = try ToolInvocation.run(tool, ["--version"])
      XCTAssertEqual(version.status, 0, tool)
      let lines = version.stdoutLines
      XCTAssertTrue(
        lines.first?.range(of: "^\(tool) [0-9]+\\.[0-9]+\\.[0-9]+$", options: .regularExpression) != nil,
        "\(tool) --version prints the version first: \(version.stdout)")
      for (name, value) in [
        ("commit", "([0-9a-f]{7,40}|unknown .*)"), ("libcurl", "[0-9]+\\.[0-9]+\\.[0-9]+"),
        ("libcrypto", "OpenSSL [0-9]+\\.[0-9]+.*"), ("rabbitmq-c", "[0-9]+\\.[0-9]+\\.[0-9]+"),
        ("hiredis", "[0-9]+\\.[0-9]+\\.[0-9]+"),
        ("FFmpeg", ".+ \\(libavutil [0-9.]+, libavcodec [0-9.]+, libavformat [0-9.]+\\)"),
      ] {
        XCTAssertTrue(
          lines.contains { $0.range(of: "^\(name): \(value)$", options: .regularExpression) != nil },
          "\(tool) --version names \(name): \(version.stdout)")
      }
    }
  }

  /// Without FFmpeg's libraries (here: not loadable, as with every symbol bound at start) --version says so and
  /// still answers 0: the tools that open no media run on such a machine.
  func testVersionSaysFFmpegIsNotLoadedWithoutFailing() throws {
    let version = try ToolInvocation.run("kvs-discover", ["--version"], environment: ["LD_BIND_NOW": "1"])
    XCTAssertEqual(version.status, 0, version.stderr)
    XCTAssertTrue(
      version.stdoutLines.contains { $0.hasPrefix("FFmpeg: not loaded (") && $0.contains("LD_BIND_NOW") },
      version.stdout)
    XCTAssertTrue(version.stdoutLines.contains { $0.hasPrefix("libcurl: ") }, version.stdout)
  }

  /// One version: the User-Agent of the tools' HTTP requests names the version `--version` prints.
  func testTheUserAgentNamesTheVersion() throws {
    let version =
      try ToolInvocation.run("chunk", ["--version"]).stdoutLines.first?
      .replacingOccurrences(of: "chunk ", with: "") ?? ""
    // A one-request server that answers 404 and says which User-Agent asked.
    let server = Process()
    server.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    server.arguments = [
      "-c",
      """
      import http.server, sys
      class H(http.server.BaseHTTPRequestHandler):
          def do_GET(self):
              print(self.headers.get("User-Agent"), flush=True)
              self.send_error(404)
          def log_message(self, *args): pass
      s = http.server.HTTPServer(("127.0.0.1", 0), H)
      print(s.server_port, flush=True)
      s.handle_request()
      """,
    ]
    let output = Pipe()
    server.standardOutput = output
    try server.run()
    defer { server.terminate() }
    let reader = output.fileHandleForReading
    let port = String(decoding: reader.availableData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    let result = try ToolInvocation.run("chunk", ["--source", "http://127.0.0.1:\(port)/video.mp4", "--attempts", "1"])
    XCTAssertNotEqual(result.status, 0, "the source is missing")
    server.waitUntilExit()
    let agent = String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
      .trimmingCharacters(in: .whitespacesAndNewlines)
    XCTAssertEqual(agent, "clipline/" + version)
  }

  func testHelpHasExamplesAndExitCodes() throws {
    for tool in try Self.tools() {
      let help = try ToolInvocation.run(tool, ["--help"])
      XCTAssertEqual(help.status, 0, tool)
      XCTAssertTrue(help.stdout.contains("EXAMPLES"), "\(tool) --help shows examples")
      XCTAssertTrue(help.stdout.contains("EXIT STATUS"), "\(tool) --help lists the exit codes")
    }
  }

  func testCompletionsMatchTheCode() throws {
    for tool in try Self.tools() {
      for (shell, file) in [("bash", "\(tool).bash"), ("zsh", "_\(tool)"), ("fish", "\(tool).fish")] {
        let generated = try ToolInvocation.run(tool, ["--generate-completion-script", shell])
        XCTAssertEqual(generated.status, 0)
        let committed = try? String(contentsOfFile: "\(Self.packageRoot)/completions/\(file)", encoding: .utf8)
        XCTAssertTrue(
          committed == generated.stdout, "completions/\(file) drifted from the code: run scripts/generate-docs")
      }
    }
  }

  func testEveryToolHasAManPage() throws {
    for tool in try Self.tools() {
      let page = try? String(contentsOfFile: "\(Self.packageRoot)/man/\(tool).1", encoding: .utf8)
      XCTAssertNotNil(page, "man/\(tool).1 is missing: run scripts/generate-docs")
      XCTAssertTrue(page?.contains("EXIT STATUS") ?? false, "man/\(tool).1 documents the exit codes")
      XCTAssertTrue(page?.contains("\n.Sh ENVIRONMENT\n") ?? false, "man/\(tool).1 has an ENVIRONMENT section")
      XCTAssertTrue(
        page?.contains("CREDENTIALS_DIRECTORY") ?? false, "man/\(tool).1 names the variables every tool reads")
      // SEE ALSO: the tools it composes with, each a cross-reference to a page that exists.
      let seeAlso = page?.components(separatedBy: "\n.Sh SEE ALSO\n").dropFirst().first ?? ""
      let references = seeAlso.split(separator: "\n").filter { $0.hasPrefix(".Xr ") }.map {
        $0.split(separator: " ")[1]
      }
      XCTAssertFalse(references.isEmpty, "man/\(tool).1 has a SEE ALSO section")
      for reference in references {
        XCTAssertTrue(
          FileManager.default.fileExists(atPath: "\(Self.packageRoot)/man/\(reference).1"),
          "man/\(tool).1 refers to \(reference)(1), which has no page")
      }
    }
  }
}
