import CliplineTestSupport
import Foundation
import XCTest

/// A secret given as a systemd credential (`LoadCredential=AMQP_URL:…` puts it in `$CREDENTIALS_DIRECTORY/AMQP_URL`)
/// is read where the variable of the same name would be, so it need not be in the service's environment.
final class SystemdCredentialTests: XCTestCase {
  func testAnUnsetVariableIsReadFromTheCredentialOfTheSameName() throws {
    let queue = Broker.uniqueQueue("credential")
    let credentials = try ScratchDirectory("credentials")
    try (try Broker.url() + "\n").write(toFile: credentials.path + "/AMQP_URL", atomically: true, encoding: .utf8)
    let result = try ToolInvocation.run(
      "amqp-pub", ["--queue", queue, "--declare"], stdin: records(2),
      environment: ["CREDENTIALS_DIRECTORY": credentials.path], removingEnvironment: ["AMQP_URL"])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(try Broker.waitForDepth(queue, 2), 2)
  }

  func testTheVariableWinsOverTheCredential() throws {
    let queue = Broker.uniqueQueue("credential-env")
    let credentials = try ScratchDirectory("credentials-env")
    try "amqp://nobody:wrong@127.0.0.1:1/%2f".write(
      toFile: credentials.path + "/AMQP_URL", atomically: true, encoding: .utf8)
    let result = try ToolInvocation.run(
      "amqp-pub", ["--queue", queue, "--declare"], stdin: records(1),
      environment: ["CREDENTIALS_DIRECTORY": credentials.path, "AMQP_URL": try Broker.url()])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(try Broker.waitForDepth(queue, 1), 1)
  }
}
