import CliplineTestSupport
import Foundation
import XCTest

/// `amqp-pub --header-field` keeps a number's value and its type: a number with a fraction or an exponent goes as
/// an AMQP decimal when its digits fit one (pika, the seed's client, turns a double header into an integer: 30.01
/// became 30), else as a double; never as a string.
final class AMQPPubHeaderNumberTests: XCTestCase {
  /// Numbers as producers write them, each with a fraction, an exponent, a sign or trailing zeros.
  let numbers = ["30.01", "0.5", "-2.75", "1e-7", "60.50", "1.5e3", "-0.001", "123.456789", "2E+2", "42"]

  func testEveryNumberReachesPikaWithItsValueAndANumberType() throws {
    let queue = Broker.uniqueQueue("header-numbers")
    let fields = numbers.indices.map { "n\($0)" }
    let record = "{" + zip(fields, numbers).map { "\"\($0)\":\($1)" }.joined(separator: ",") + "}\n"
    let result = try ToolInvocation.run(
      "amqp-pub", ["--queue", queue, "--declare"] + fields.flatMap { ["--header-field", $0] },
      stdin: record + record, environment: ["AMQP_URL": try Broker.url()])
    XCTAssertEqual(result.status, 0, result.stderr)
    // What pika's decoder hands its user, and the AMQP type each header went as.
    let read = try XCTUnwrap(try Broker.pikaGet(queue).first?["headers"] as? [String: Any])
    let typed = try ToolInvocation.runProcess(
      "/usr/bin/env", ["python3", Broker.peerScript, "get-typed", queue], environment: ["AMQP_URL": try Broker.url()])
    let wire = try XCTUnwrap(
      (try JSONSerialization.jsonObject(with: Data(typed.stdout.utf8)) as? [String: Any])?["headers"]
        as? [String: [String: Any]])
    for (field, number) in zip(fields, numbers) {
      let kind = wire[field]?["t"] as? String
      XCTAssertTrue(
        ["D", "l"].contains(kind ?? ""), "\(number) went as \(kind ?? "nothing"), which pika reads exactly")
      let value = read[field].map { "\($0)" } ?? "absent"
      XCTAssertEqual(Decimal(string: value), Decimal(string: number), "\(number) reached pika as \(value)")
    }
  }
}
