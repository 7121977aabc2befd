import CliplineRecords
import XCTest

@testable import CliplineAMQP

/// A record's number sent as a header reads back, through clipline's own reader, as the number it was.
final class HeaderNumberTests: XCTestCase {
  func testNumbersComeBackWithTheirValueAndNegativeDecimalsKeepTheirSign() throws {
    for text in ["30.01", "0.5", "-2.75", "1e-7", "60.50", "-0.001", "123.456789", "-1.5"] {
      let field = try XCTUnwrap(HeaderNumber.field(text: text), text)
      guard case .decimal = field else { return XCTFail("\(text) went as \(field)") }
      let back = try XCTUnwrap(field.json.doubleValue, text)
      XCTAssertEqual(back, Double(text), text)
    }
    XCTAssertEqual(HeaderNumber.field(text: "1.5e3"), .int64(1500))
    XCTAssertEqual(HeaderNumber.field(.double(3.141592653589793)), .double(3.141592653589793), "too many digits")
    XCTAssertEqual(FieldValue.decimal(scale: 2, value: UInt32(bitPattern: -275)).json, .number("-2.75"))
  }
}
