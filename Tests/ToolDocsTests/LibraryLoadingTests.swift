import CliplineTestSupport
import Foundation
import XCTest

/// The binary links none of libcurl, OpenSSL, rabbitmq-c and hiredis: each is loaded by its wrapper the first time
/// a tool needs it (SharedLibraries), so a small tool (record-shape, the last step of every S2 message) starts
/// without mapping and relocating them and the ~25 libraries libcurl pulls in.
final class LibraryLoadingTests: XCTestCase {
  /// Each library's file name and a prefix of the functions clipline calls in it.
  static let libraries = [
    ("libcurl", "curl_"), ("librabbitmq", "amqp_"), ("libhiredis", "redis"), ("libcrypto", "EVP_"),
    ("libssl", "SSL_"),
  ]
  /// One GraphQL request to the loopback's port 9 (discard), where nothing listens: it fails after libcurl is loaded.
  static let request = [
    "gql-mutate", "--endpoint", "http://127.0.0.1:9/graphql", "--query", "mutation { ping }", "--attempts", "1",
  ]

  func testTheBinaryLinksNoneOfThemAndBindsTheirFunctionsOnlyLazily() throws {
    let path = ToolInvocation.path(of: "clipline")
    let dynamic = try ToolInvocation.runProcess("/usr/bin/readelf", ["-dW", path])
    XCTAssertEqual(dynamic.status, 0, dynamic.stderr)
    let needed = dynamic.stdout.split(separator: "\n").filter { $0.contains("(NEEDED)") }
    XCTAssertFalse(needed.isEmpty, dynamic.stdout)
    for (library, _) in Self.libraries {
      XCTAssertFalse(needed.contains { $0.contains(library) }, "clipline links \(library): \(needed)")
    }
    // A reference bound at start (GLOB_DAT, R_X86_64_64) would stay null after the library is loaded.
    let relocations = try ToolInvocation.runProcess("/usr/bin/readelf", ["-rW", path]).stdout
    for (library, prefix) in Self.libraries {
      let references = relocations.split(separator: "\n").filter { line in
        line.split(separator: " ").contains { $0.hasPrefix(prefix) }
      }
      XCTAssertFalse(references.isEmpty, "\(library)'s functions are references of the binary")
      for line in references { XCTAssertTrue(line.contains("R_X86_64_JUMP_SLOT"), String(line)) }
    }
  }

  /// record-shape loads none of them; a tool that makes an HTTP request loads libcurl and OpenSSL when it does.
  func testOnlyATaskThatNeedsALibraryLoadsIt() throws {
    let (shaped, quiet) = try ToolInvocation.runListingLoads(
      "clipline", ["record-shape", "--keep", "a"], stdin: #"{"a":1}"# + "\n")
    XCTAssertEqual(shaped.stdout, #"{"a":1}"# + "\n", shaped.stderr)
    for (library, _) in Self.libraries { XCTAssertFalse(quiet.contains(library + ".so"), quiet) }

    let (asked, loads) = try ToolInvocation.runListingLoads(
      "clipline", Self.request, stdin: "{}\n")
    XCTAssertNotEqual(asked.status, 0)
    XCTAssertTrue(loads.contains("libcurl.so"), loads)
    XCTAssertTrue(loads.contains("libcrypto.so"), loads)
    XCTAssertFalse(loads.contains("librabbitmq.so"), loads)
  }

  /// With every symbol bound at start the weak references stay null: a tool that needs libcurl refuses with one
  /// sentence and 78 instead of crashing, and `--version` says why each library is not loaded, answering 0.
  func testBindingEverythingAtStartIsRefusedBeforeAnyCall() throws {
    let refused = try ToolInvocation.run(
      "clipline", Self.request, stdin: "{}\n", environment: ["LD_BIND_NOW": "1"])
    XCTAssertEqual(refused.status, 78, refused.stderr)
    XCTAssertEqual(refused.stdout, "")
    XCTAssertTrue(refused.stderr.contains("LD_BIND_NOW"), refused.stderr)
    let version = try ToolInvocation.run("clipline", ["--version"], environment: ["LD_BIND_NOW": "1"])
    XCTAssertEqual(version.status, 0, version.stderr)
    for name in ["libcurl", "libcrypto", "rabbitmq-c"] {
      XCTAssertTrue(version.stdoutLines.contains { $0.hasPrefix(name + ": not loaded (") }, version.stdout)
    }
  }
}

extension ToolInvocation {
  /// Runs a tool and lists the shared objects it loaded, as ld.so reports them (LD_DEBUG=files), dlopen included.
  static func runListingLoads(_ tool: String, _ arguments: [String], stdin: String = "") throws -> (ToolResult, String)
  {
    let result = try run(tool, arguments, stdin: stdin, environment: ["LD_DEBUG": "files"])
    let loaded = result.stderr.split(separator: "\n").filter { $0.contains("file=") }.joined(separator: "\n")
    return (result, loaded)
  }
}
