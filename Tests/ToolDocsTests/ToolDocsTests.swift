import Foundation
import TestSupport
import XCTest

/// Every tool documents itself the same way, and the committed man pages and completions match the code.
/// (`scripts/generate-docs --check`, run by `scripts/test`, also regenerates the man pages and compares them.)
final class ToolDocsTests: XCTestCase {
  /// The executable products, read from Package.swift so a new tool cannot be forgotten here.
  static func tools() throws -> [String] {
    let manifest = try String(contentsOfFile: packageRoot + "/Package.swift", encoding: .utf8)
    let pattern = try NSRegularExpression(pattern: #"\.executable\(name: "([^"]+)""#)
    let range = NSRange(manifest.startIndex..., in: manifest)
    return pattern.matches(in: manifest, range: range).map { String(manifest[Range($0.range(at: 1), in: manifest)!]) }
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
        XCTAssertTrue(committed == generated.stdout, "completions/\(file) drifted from the code: run scripts/generate-docs")
      }
    }
  }

  func testEveryToolHasAManPage() throws {
    for tool in try Self.tools() {
      let page = try? String(contentsOfFile: "\(Self.packageRoot)/man/\(tool).1", encoding: .utf8)
      XCTAssertNotNil(page, "man/\(tool).1 is missing: run scripts/generate-docs")
      XCTAssertTrue(page?.contains("EXIT STATUS") ?? false, "man/\(tool).1 documents the exit codes")
    }
  }
}
