import CliplineTestSupport
import XCTest

/// Every number the AMQP tools take from a flag has bounds; outside them it is a usage error naming the flag.
final class AMQPFlagBoundsTests: XCTestCase {
  func testNumbersOutsideTheirBoundsAreUsageErrors() throws {
    let consume: [[String]] = [
      ["--jobs", "0"], ["--jobs", "257"], ["--prefetch-count", "0"], ["--prefetch-count", "65536"],
      ["--count", "0"], ["--max-retries", "1001"], ["--retry-delay", "0s"], ["--retry-delay", "2d"],
      ["--grace", "2h"], ["--idle-timeout", "0s"], ["--reconnect-for", "8d"], ["--consumer-timeout", "31d"],
      ["--heartbeat", "3601"], ["--connect-timeout", "0s"], ["--connect-timeout", "11m"],
      ["--message-ttl", "50d"],
    ]
    for extra in consume {
      let result = try ToolInvocation.run("amqp-consume", ["--queue", "q"] + extra + ["--", "true"])
      XCTAssertEqual(result.status, 64, "\(extra): \(result.stderr)")
      XCTAssertTrue(result.stderr.contains(extra[0]), "the sentence names \(extra[0]): \(result.stderr)")
    }
    for extra in [["--window", "0"], ["--window", "65536"], ["--reconnect-for", "8d"], ["--heartbeat", "-1"]] {
      let result = try ToolInvocation.run("amqp-pub", ["--queue", "q"] + extra)
      XCTAssertEqual(result.status, 64, "\(extra): \(result.stderr)")
      XCTAssertTrue(result.stderr.contains(extra[0]), "the sentence names \(extra[0]): \(result.stderr)")
    }
    XCTAssertEqual(try ToolInvocation.run("gql-mutate", ["--op", "create-chunk", "--attempts", "21"]).status, 64)
  }

  /// A URL that does not parse whole is refused before connecting anywhere, by every tool that takes --url.
  func testAnAMQPURLThatDoesNotParseWholeIsAUsageErrorNamingTheFlag() throws {
    let tools: [(String, [String])] = [
      ("amqp-pub", ["--queue", "q"]), ("amqp-consume", ["--queue", "q"]), ("m0-submit", []),
      ("amqp-dlq", ["replay", "-q", "q.dlq"]),
    ]
    let urls = ["amqp://gu est@/", "amqp://guest@127.0.0.1:56x72/%2f", "amqp://127.0.0.1:/", "http://127.0.0.1/"]
    for (tool, arguments) in tools {
      for url in urls {
        let handler = tool == "amqp-consume" ? ["--", "true"] : []
        let result = try ToolInvocation.run(tool, arguments + ["--url", url] + handler, stdin: "")
        XCTAssertEqual(result.status, 64, "\(tool) --url \(url): \(result.stderr)")
        XCTAssertTrue(result.stderr.contains("--url: AMQP URL: "), "\(tool) names the flag: \(result.stderr)")
      }
    }
    let fromEnvironment = try ToolInvocation.run(
      "m0-submit", [], stdin: "", environment: ["AMQP_URL": "amqp://127.0.0.1/\u{7}"])
    XCTAssertEqual(fromEnvironment.status, 64, fromEnvironment.stderr)
    XCTAssertTrue(
      fromEnvironment.stderr.contains("$AMQP_URL: AMQP URL: it has the control byte 0x07"), fromEnvironment.stderr)
  }
}
