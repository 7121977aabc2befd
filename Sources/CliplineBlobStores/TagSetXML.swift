import CliplineAWS

/// The `<TagSet><Tag><Key/><Value/></Tag>…</TagSet>` document S3 object tagging and Azure blob index tags share.
enum TagSetXML {
  /// The tags of a `<Tagging>` (S3) or `<Tags>` (Azure) answer. An answer that is not whole — not UTF-8, no
  /// closing root element, no `<TagSet>`, a `<Tag>` without its `<Key>` — throws (75, worth retrying) instead of
  /// reading as fewer tags: a recorded SHA-256 lost that way would let a download go unverified.
  static func parse(_ body: [UInt8], resource: String) throws -> [String: String] {
    func malformed(_ what: String) -> AWSServiceError {
      AWSServiceError(
        code: "MalformedResponse", message: "the tags answer \(what)", status: 500, resource: resource)
    }
    guard let text = String(bytes: body, encoding: .utf8) else { throw malformed("is not UTF-8") }
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard trimmed.hasSuffix("</Tagging>") || trimmed.hasSuffix("</Tags>") else {
      throw malformed("does not end with </Tagging> or </Tags>")
    }
    let xml = XMLScanner(trimmed)
    let sets = xml.elements("TagSet")
    guard sets.count == 1 else { throw malformed("has \(sets.count) TagSet elements, not one") }
    let elements = XMLScanner(String(sets[0])).scanners("Tag")
    guard elements.count == sets[0].components(separatedBy: "<Tag>").count - 1 else {
      throw malformed("has a Tag element that does not close")
    }
    var tags: [String: String] = [:]
    for tag in elements {
      guard let key = tag.text("Key") else { throw malformed("has a Tag without a Key") }
      tags[key] = tag.text("Value") ?? ""
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
