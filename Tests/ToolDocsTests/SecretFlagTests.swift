import CliplineTestSupport
import Foundation
import XCTest

/// Secrets given as flags still work (scripts use them) but each is said once on stderr, with the safer ways,
/// and never repeated: the secret itself is not.
final class SecretFlagTests: XCTestCase {
  static let secrets = [
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AZURE_STORAGE_CONNECTION_STRING", "AMQP_URL", "GRAPHQL_TOKEN",
    "CLIPLINE_LOG_FORMAT",
  ]

  /// blob-put to a local directory: the AWS and Azure flags are checked whatever the destination.
  func blobPut(_ flags: [String], environment: [String: String] = [:]) throws -> ToolResult {
    let scratch = try ScratchDirectory("secret-flags")
    let file = scratch.file("clip.bin")
    try Data("clip".utf8).write(to: URL(fileURLWithPath: file))
    let records = (1...3).map { "{\"clip_path\":\"\(file)\",\"n\":\($0)}\n" }.joined()
    return try ToolInvocation.run(
      "blob-put", ["--to", "file://\(scratch.path)/out/{n}.bin=url"] + flags, stdin: records,
      environment: environment, removingEnvironment: Self.secrets)
  }

  func testASecretAccessKeyFlagWorksAndIsSaidOnce() throws {
    let secret = "flag-secret-0123456789"
    let result = try blobPut(["--access-key-id", "AKIAFLAG", "--secret-access-key", secret])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(try result.records().count, 3)
    let lines = result.stderr.split(separator: "\n")
    XCTAssertEqual(lines.count, 1, result.stderr)
    XCTAssertTrue(lines.first?.contains("(--secret-access-key) is readable by every user") == true, result.stderr)
    XCTAssertTrue(result.stderr.contains("AWS_SECRET_ACCESS_KEY"), result.stderr)
    XCTAssertFalse(result.stderr.contains(secret), result.stderr)

    let json = try blobPut(["--access-key-id", "AKIAFLAG", "--secret-access-key", secret, "--log-format", "json"])
    XCTAssertEqual(json.stderr.split(separator: "\n").count, 1, json.stderr)
    XCTAssertTrue(json.stderr.contains("\"level\":\"warning\""), json.stderr)
    XCTAssertEqual(try blobPut(["--access-key-id", "AKIAFLAG", "--secret-access-key", secret, "--quiet"]).stderr, "")
  }

  func testTheEnvironmentWayIsQuiet() throws {
    let result = try blobPut(
      [], environment: ["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret"])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(result.stderr, "")
  }

  func testAnAzureConnectionStringWithAKeyIsSaid() throws {
    let withKey = "DefaultEndpointsProtocol=http;AccountName=acct;AccountKey=c2VjcmV0LWtleQ=="
    let result = try blobPut(["--azure-connection-string", withKey])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stderr.contains("(--azure-connection-string) is readable"), result.stderr)
    XCTAssertTrue(result.stderr.contains("AZURE_STORAGE_CONNECTION_STRING"), result.stderr)
    XCTAssertFalse(result.stderr.contains("c2VjcmV0LWtleQ"), result.stderr)
    let keyless = try blobPut(["--azure-connection-string", "BlobEndpoint=http://127.0.0.1:1/acct"])
    XCTAssertEqual(keyless.stderr, "")
  }

  func testURLPasswordsAndAuthorizationHeaders() throws {
    let amqp = try ToolInvocation.run(
      "amqp-pub",
      [
        "--url", "amqp://worker:amqp-pass-42@127.0.0.1:1/%2f", "--queue", "q", "--connect-timeout", "1s",
        "--reconnect-for", "0s",
      ],
      stdin: "{}\n", removingEnvironment: Self.secrets)
    XCTAssertTrue(amqp.stderr.contains("(--url) is readable"), amqp.stderr)
    XCTAssertTrue(amqp.stderr.contains("AMQP_URL"), amqp.stderr)
    XCTAssertFalse(amqp.stderr.contains("amqp-pass-42"), amqp.stderr)
    let gql = try ToolInvocation.run(
      "gql-mutate",
      ["--endpoint", "http://127.0.0.1:1/graphql", "--query", "mutation { x }", "-H", "Authorization: Bearer gql-tok"],
      stdin: "", removingEnvironment: Self.secrets)
    XCTAssertTrue(gql.stderr.contains("(-H Authorization) is readable"), gql.stderr)
    XCTAssertTrue(gql.stderr.contains("GRAPHQL_TOKEN"), gql.stderr)
    XCTAssertFalse(gql.stderr.contains("gql-tok"), gql.stderr)
  }

  /// libcurl sends a URL's user and password as Basic credentials, so one in --endpoint is a secret in ps too.
  func testAGraphQLEndpointWithAPasswordIsSaid() throws {
    let gql = try ToolInvocation.run(
      "gql-mutate", ["--endpoint", "http://svc:gql-pass-7@127.0.0.1:1/graphql", "--query", "mutation { x }"],
      stdin: "", removingEnvironment: Self.secrets)
    XCTAssertTrue(gql.stderr.contains("(--endpoint) is readable"), gql.stderr)
    XCTAssertTrue(gql.stderr.contains("GRAPHQL_ENDPOINT"), gql.stderr)
    XCTAssertFalse(gql.stderr.contains("gql-pass-7"), gql.stderr)
  }
}
