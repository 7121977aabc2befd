import CliplineRecords
import XCTest

@testable import CliplineTelemetry

/// W3C Trace Context as the spec reads it: what is a traceparent, what is not, and what continuing one means.
final class TraceContextTests: XCTestCase {
  let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

  func testAValidTraceparentIsReadAndWrittenBackTheSame() throws {
    let context = try XCTUnwrap(TraceContext(traceparent: valid, traceState: "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"))
    XCTAssertEqual(context.traceparent, valid)
    XCTAssertEqual(context.traceIDText, "4bf92f3577b34da6a3ce929d0e0e4736")
    XCTAssertEqual(context.spanIDText, "00f067aa0ba902b7")
    XCTAssertTrue(context.isSampled)
    XCTAssertEqual(context.traceState, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
    XCTAssertEqual(context.environment["TRACEPARENT"], valid)
    XCTAssertEqual(TraceContext(traceparent: valid.replacingOccurrences(of: "-01", with: "-00"))?.isSampled, false)
  }

  func testWhatIsNotATraceparentIsRefused() {
    for text in [
      "", "00", "garbage", valid.uppercased(), valid + "-extra",
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // all-zero trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // all-zero span id
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // version ff is forbidden
      "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",  // short trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
      "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ] {
      XCTAssertNil(TraceContext(traceparent: text), text)
    }
    // A later version is read by its first four fields.
    XCTAssertNotNil(TraceContext(traceparent: "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes"))
  }

  func testContinuingKeepsTheTraceAndMakesANewSpanWhoseParentIsTheIncomingOne() throws {
    let incoming = try XCTUnwrap(TraceContext(traceparent: valid, traceState: "k=v"))
    let place = SpanPlace(continuing: incoming)
    XCTAssertEqual(place.context.traceID, incoming.traceID)
    XCTAssertNotEqual(place.context.spanID, incoming.spanID)
    XCTAssertEqual(place.parentSpanID, incoming.spanID)
    XCTAssertEqual(place.context.traceState, "k=v", "tracestate travels on")
    XCTAssertEqual(place.logFields["trace_id"], .string(incoming.traceIDText))

    let root = SpanPlace(continuing: nil)
    XCTAssertNil(root.parentSpanID)
    XCTAssertTrue(root.context.isSampled)
    XCTAssertNotEqual(root.context.traceID, SpanPlace(continuing: nil).context.traceID, "a new trace each time")

    let headers: [String: JSONValue] = ["traceparent": .string(valid), "tracestate": "a=b"]
    XCTAssertEqual(TraceContext(headers: headers)?.traceState, "a=b")
    XCTAssertNil(TraceContext(headers: ["traceparent": .integer(1)]))
  }
}
