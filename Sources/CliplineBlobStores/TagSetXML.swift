import CliplineAWS

/// The `<TagSet><Tag><Key/><Value/></Tag>…</TagSet>` document S3 object tagging and Azure blob index tags share.
enum TagSetXML {
  static func parse(_ body: [UInt8]) -> [String: String] {
    var tags: [String: String] = [:]
    for tag in XMLScanner(body).scanners("Tag") {
      if let key = tag.text("Key") { tags[key] = tag.text("Value") ?? "" }
    }
    return tags
  }

  /// The `<TagSet>` element, keys sorted so the same tags always make the same bytes.
  static func tagSet(_ tags: [String: String]) -> String {
    "<TagSet>"
      + tags.sorted { $0.key < $1.key }.map {
        "<Tag><Key>\(XMLScanner.escape($0.key))</Key><Value>\(XMLScanner.escape($0.value))</Value></Tag>"
      }.joined() + "</TagSet>"
  }
}
