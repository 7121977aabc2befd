import CliplineRecords
import CliplineSystem
import Foundation
import XCTest

final class ValuesTests: XCTestCase {
  func testDurations() {
    XCTAssertEqual(DurationArgument.parse("90"), 90)
    XCTAssertEqual(DurationArgument.parse("60s"), 60)
    XCTAssertEqual(DurationArgument.parse("250ms"), 0.25)
    XCTAssertEqual(DurationArgument.parse("1h30m"), 5400)
    XCTAssertEqual(DurationArgument.parse("7d"), 604_800)
    XCTAssertNil(DurationArgument.parse("-5"))
    XCTAssertNil(DurationArgument.parse("5 parsecs"))
    XCTAssertNil(DurationArgument.parse("h"))
    XCTAssertEqual(DurationArgument(seconds: 86400).description, "1d")
  }

  func testRFC3339() throws {
    let date = try XCTUnwrap(RFC3339.parse("2026-02-26T14:30:00Z"))
    XCTAssertEqual(date.timeIntervalSince1970, 1_772_116_200)
    XCTAssertEqual(RFC3339.format(date), "2026-02-26T14:30:00Z")
    XCTAssertEqual(RFC3339.parse("2026-02-26T16:30:00.5+02:00")?.timeIntervalSince1970, 1_772_116_200.5)
    XCTAssertEqual(RFC3339.format(date.addingTimeInterval(0.25)), "2026-02-26T14:30:00.25Z")
    XCTAssertNil(RFC3339.parse("2026-02-26 14:30"))
    XCTAssertNil(RFC3339.parse("2026-13-26T14:30:00Z"))
  }

  /// What Python producers write (`datetime.utcnow()` through `json.dumps(default=str)`, pydantic v1) is read, a naive
  /// time as UTC; a day, hour or offset that does not exist, or a year RFC 3339 cannot write, is refused, never
  /// rolled over.
  func testRFC3339NaiveTimesAreUTCAndImpossibleInstantsAreRefused() throws {
    let instant = 1_772_116_200.0
    for text in [
      "2026-02-26 14:30:00", "2026-02-26T14:30:00", "2026-02-26 14:30:00+00:00", "2026-02-26 16:30:00+02:00",
    ] {
      XCTAssertEqual(RFC3339.parse(text)?.timeIntervalSince1970, instant, text)
    }
    XCTAssertEqual(RFC3339.parse("2026-02-26 14:30:00.250")?.timeIntervalSince1970, instant + 0.25)
    XCTAssertEqual(RFC3339.parse("2028-02-29T00:00:00Z").map { RFC3339.format($0) }, "2028-02-29T00:00:00Z")
    for text in [
      "2026-02-30T00:00:00Z", "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2100-02-29T00:00:00Z",
      "2026-02-26T14:30:00+24:00", "2026-02-26T14:30:00+23:99", "2026-02-26T14:30:00-00:60",
      "9999-12-31T23:59:59-00:01", "0001-01-01T00:00:00+00:01", "2026-02-26 14:30",
    ] {
      XCTAssertNil(RFC3339.parse(text), text)
    }
    let last = try XCTUnwrap(RFC3339.parse("9999-12-31T23:59:59.9999Z"))
    XCTAssertEqual(RFC3339.format(last), "9999-12-31T23:59:59.999Z", "never 10000-01-01")
  }

  func testTemplates() throws {
    let record = try Record(json: #"{"process_id":42,"chunk_id":7,"v":{"fps":15},"name":"cam"}"#)
    XCTAssertEqual(
      try RecordTemplate("s3://b/{process_id}/chunk_{chunk_id:03}_{v.fps}_{{x}}.mp4").render(record),
      "s3://b/42/chunk_007_15_{x}.mp4")
    XCTAssertThrowsError(try RecordTemplate("{missing}").render(record)) {
      XCTAssertEqual($0 as? InputError, .missingField("missing"))
    }
    XCTAssertThrowsError(try RecordTemplate("a{b"))
    XCTAssertThrowsError(try RecordTemplate("{a:3}"))
    XCTAssertEqual(try RecordTemplate("{name}/{chunk_id}").fieldPaths, ["name", "chunk_id"])
  }

  func testRetryRetriesOnlyTemporaryFailures() throws {
    struct Flaky: ExitStatusProviding { let exitStatus: ExitStatus }
    var calls = 0
    let policy = RetryPolicy(attempts: 4, baseDelay: 0.001, maximumDelay: 0.002)
    let value = try policy.run { attempt -> Int in
      calls += 1
      if attempt < 3 { throw Flaky(exitStatus: .temporaryFailure) }
      return attempt
    }
    XCTAssertEqual(value, 3)
    XCTAssertEqual(calls, 3)
    calls = 0
    XCTAssertThrowsError(
      try policy.run { _ -> Int in
        calls += 1
        throw Flaky(exitStatus: .permissionDenied)
      })
    XCTAssertEqual(calls, 1)
  }

  func testSecretsAreRedacted() {
    XCTAssertEqual(SecretRedaction.url("amqp://user:hunter2@host:5672/%2f"), "amqp://user:***@host:5672/%2f")
    XCTAssertFalse(SecretRedaction.url("https://h/k?X-Amz-Signature=abc&x=1").contains("abc"))
    XCTAssertEqual(
      SecretRedaction.url("https://h/v%2Fa.mp4?sv=2020&y=a%2Fb+c&sig=abc%2Bdef&se=2026-01-01T00:00:00Z"),
      "https://h/v%2Fa.mp4?sv=2020&y=a%2Fb+c&sig=***&se=2026-01-01T00:00:00Z", "the rest as typed")
    XCTAssertEqual(SecretRedaction.url("s3://bucket/key with space.mp4"), "s3://bucket/key with space.mp4")
    XCTAssertEqual(SecretRedaction.url("redis://:hunter2@host/0"), "redis://:***@host/0")
  }

  func testExitStatusMapping() {
    XCTAssertEqual(ExitStatus.of(CocoaError(.fileReadNoSuchFile)), .noInput)
    XCTAssertEqual(ExitStatus.of(InputError.missingField("x")), .dataError)
    XCTAssertEqual(ExitStatus.of(StoppedBySignal()), .temporaryFailure)
  }
}
