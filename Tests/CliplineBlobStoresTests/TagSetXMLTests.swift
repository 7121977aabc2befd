import CliplineAWS
import CliplineSystem
import XCTest

@testable import CliplineBlobStores

/// Tag answers are read whole or not at all: a recorded SHA-256 must never be lost to a garbled answer.
final class TagSetXMLTests: XCTestCase {
  let s3 =
    #"<?xml version="1.0" encoding="UTF-8"?><Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>clipline-sha256</Key><Value>ab12</Value></Tag><Tag><Key>a &amp; b</Key><Value></Value></Tag></TagSet></Tagging>"#
  let azure =
    #"<?xml version="1.0" encoding="utf-8"?><Tags><TagSet><Tag><Key>camera</Key><Value>front</Value></Tag></TagSet></Tags>"#

  func parse(_ text: String) throws -> [String: String] { try TagSetXML.parse(Array(text.utf8), resource: "s3://b/k") }

  func testS3AndAzureAnswersAndWhatWeWrite() throws {
    XCTAssertEqual(try parse(s3), ["clipline-sha256": "ab12", "a & b": ""])
    XCTAssertEqual(try parse(azure + "\n"), ["camera": "front"])
    XCTAssertEqual(try parse("<Tagging><TagSet></TagSet></Tagging>"), [:])
    XCTAssertEqual(try parse("<Tagging><TagSet/></Tagging>"), [:])
    let written = ["x": "1", "clipline-sha256": "ff"]
    XCTAssertEqual(try parse("<Tagging>" + TagSetXML.tagSet(written) + "</Tagging>"), written)
  }

  func testAnAnswerThatIsNotWholeThrowsARetryableError() {
    var flipped = Array(s3.utf8)
    flipped[flipped.count / 2] ^= 0xFF  // what the fault proxy does to every answer
    let garbled: [(String, [UInt8])] = [
      ("not UTF-8", flipped),
      ("cut short", Array(s3.utf8.prefix(s3.utf8.count - 20))),
      ("no TagSet", Array("<Tagging></Tagging>".utf8)),
      ("a Tag without a Key", Array("<Tagging><TagSet><Tag><Kee>k</Kee></Tag></TagSet></Tagging>".utf8)),
      ("a Tag that does not close", Array("<Tagging><TagSet><Tag><Key>k</Key></TagSet></Tagging>".utf8)),
      ("an HTML error page", Array("<html><body>Bad Gateway</body></html>".utf8)),
    ]
    for (what, body) in garbled {
      XCTAssertThrowsError(try TagSetXML.parse(body, resource: "s3://b/k"), what) { error in
        XCTAssertEqual(ExitStatus.of(error), .temporaryFailure, what)
        XCTAssertTrue("\(error)".contains("s3://b/k"), "\(what): \(error)")
      }
    }
  }
}
