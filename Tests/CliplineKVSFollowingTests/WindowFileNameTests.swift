import CliplineRecords
import XCTest

@testable import CliplineKVSFollowing

/// A window's local file is named for its start time in key form, as `--to` writes it into keys: one instant
/// spelled any way is one name, with no space, `+` or `:` in it (issue 23, items 10 and 11).
final class WindowFileNameTests: XCTestCase {
  func testOneInstantSpelledAnyWayIsOneFileNameInKeyForm() throws {
    for spelling in [
      "2026-02-26T14:30:00Z", "2026-02-26 14:30:00", "2026-02-26 14:30:00+00:00", "2026-02-26T16:30:00+02:00",
    ] {
      let task = Record(["start_time": .string(spelling)])
      XCTAssertEqual(try WindowOutput.fileName(task), "2026-02-26T14-30-00Z.mp4", spelling)
    }
    let fraction = Record(["start_time": "2026-02-26 14:30:00.250"])
    XCTAssertEqual(try WindowOutput.fileName(fraction), "2026-02-26T14-30-00.25Z.mp4")
  }
}
