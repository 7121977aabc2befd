import CliplineTestSupport
import Foundation
import XCTest

/// `clipline` is every tool, as installed: a link named after a tool runs that tool, and `clipline TOOL ...` runs
/// it too; FFmpeg's libraries are loaded only by the tools that open media, when they do.
final class MultiCallTests: XCTestCase {
  /// A directory laid out as `make install` lays out bin/: clipline, and each tool a link to it.
  func installedLayout(_ scratch: ScratchDirectory) throws -> String {
    let bin = scratch.file("bin")
    try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: ToolInvocation.path(of: "clipline"), toPath: bin + "/clipline")
    for tool in try ToolInvocation.run("clipline", ["--list"]).stdoutLines {
      try FileManager.default.createSymbolicLink(atPath: bin + "/" + tool, withDestinationPath: "clipline")
    }
    return bin
  }

  func testListNamesEveryTool() throws {
    let listed = try ToolInvocation.run("clipline", ["--list"])
    XCTAssertEqual(listed.status, 0, listed.stderr)
    XCTAssertEqual(listed.stdoutLines, try ToolDocsTests.tools().sorted())
  }

  func testALinkRunsItsToolAndSoDoesTheFirstArgument() throws {
    let scratch = try ScratchDirectory("multi-call")
    let bin = try installedLayout(scratch)
    let record = #"{"a":1,"b":[2],"c":"x"}"# + "\n"
    for (executable, arguments) in [
      (bin + "/record-shape", ["--drop", "b"]), (bin + "/clipline", ["record-shape", "--drop", "b"]),
    ] {
      let shaped = try ToolInvocation.run(executable, arguments, stdin: record)
      XCTAssertEqual(shaped.status, 0, shaped.stderr)
      XCTAssertEqual(shaped.stdout, #"{"a":1,"c":"x"}"# + "\n")
    }
    // The tool's own errors and exit codes, under its own name, whichever way it was started.
    for (executable, arguments) in [
      (bin + "/record-shape", ["--keep", "a", "--drop", "b"]),
      (bin + "/clipline", ["record-shape", "--keep", "a", "--drop", "b"]),
    ] {
      let refused = try ToolInvocation.run(executable, arguments)
      XCTAssertEqual(refused.status, 64, refused.stderr)
      XCTAssertTrue(refused.stderr.contains("--keep and --drop exclude each other"), refused.stderr)
      XCTAssertTrue(refused.stderr.contains("record-shape"), refused.stderr)
    }
    for tool in try ToolDocsTests.tools() {
      let version = try ToolInvocation.run(bin + "/" + tool, ["--version"])
      XCTAssertTrue(version.stdout.hasPrefix(tool + " "), "\(tool) --version through its link: \(version.stdout)")
    }
  }

  func testANameThatIsNoToolIsAUsageError() throws {
    for arguments in [["no-such-tool", "--help"], []] {
      let refused = try ToolInvocation.run("clipline", arguments)
      XCTAssertEqual(refused.status, 64, refused.stderr)
      XCTAssertEqual(refused.stdout, "")
      XCTAssertTrue(refused.stderr.contains(arguments.first ?? "Name the tool"), refused.stderr)
    }
  }
}
