import Foundation
import XCTest

/// docs/environment.md names every variable the tools read: a variable added to the code without a line there
/// fails here, so an operator reading the page sees all that can change a tool's behaviour.
final class EnvironmentDocTests: XCTestCase {
  /// The variable names the sources read: upper-case string literals on a (non-comment) line that reads the
  /// environment (`Settings.environment("X")`, `Settings.resolve(…, environment: "X", "Y")`,
  /// `processInfo.environment["X"]`, telemetry's `value("X")`).
  static func variablesRead() throws -> Set<String> {
    let sources = ToolDocsTests.packageRoot + "/Sources"
    let reads = try NSRegularExpression(pattern: #"environment|getenv|Settings\.|value\(""#, options: .caseInsensitive)
    let literal = try NSRegularExpression(pattern: #""([A-Z][A-Z0-9_]*[A-Z0-9])""#)
    var names: Set<String> = []
    let files = FileManager.default.enumerator(atPath: sources)?.compactMap { $0 as? String } ?? []
    for file in files where file.hasSuffix(".swift") {
      let text = try String(contentsOfFile: sources + "/" + file, encoding: .utf8)
      for line in text.split(separator: "\n").map(String.init) {
        let range = NSRange(line.startIndex..., in: line)
        guard !line.trimmingCharacters(in: .whitespaces).hasPrefix("//"),
          reads.firstMatch(in: line, range: range) != nil
        else { continue }
        for match in literal.matches(in: line, range: range) {
          names.insert(String(line[Range(match.range(at: 1), in: line)!]))
        }
      }
    }
    return names
  }

  func testEveryVariableTheToolsReadIsDocumented() throws {
    let read = try Self.variablesRead()
    // The scan must find what is known to be read, or an empty scan would pass.
    XCTAssertTrue(read.isSuperset(of: ["AWS_CA_BUNDLE", "REDIS_PASSWORD", "S2_CLIP_DURATION", "AMQP_URL"]), "\(read)")
    let page = try String(contentsOfFile: ToolDocsTests.packageRoot + "/docs/environment.md", encoding: .utf8)
    let undocumented = read.filter {
      page.range(of: "(?<![A-Z0-9_])\($0)(?![A-Z0-9_])", options: .regularExpression) == nil
    }
    XCTAssertEqual(undocumented.sorted(), [], "read by the tools but not named in docs/environment.md")
  }
}
