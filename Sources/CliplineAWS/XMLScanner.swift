import Foundation

/// Just enough XML for AWS's answers: the text of the first element with a name, and each element's inner XML.
/// The answers are flat and machine-written; a full parser (and libxml2 at run time) would buy nothing here.
public struct XMLScanner {
  public let text: String

  public init(_ bytes: [UInt8]) { text = String(decoding: bytes, as: UTF8.self) }
  public init(_ text: String) { self.text = text }
  init(_ text: Substring) { self.text = String(text) }

  /// The unescaped text of the first `<name>…</name>`.
  public func text(_ name: String) -> String? {
    elements(name).first.map { Self.unescape(String($0)) }
  }

  /// The inner XML of every `<name>…</name>` (attributes allowed on the opening tag), in order.
  public func elements(_ name: String) -> [Substring] {
    var found: [Substring] = []
    var searchFrom = text.startIndex
    let closing = "</\(name)>"
    while let open = text.range(of: "<\(name)", range: searchFrom..<text.endIndex) {
      guard let tagEnd = text[open.upperBound...].firstIndex(of: ">") else { break }
      let next = text[open.upperBound]
      guard next == ">" || next == " " || next == "/" else {
        searchFrom = open.upperBound
        continue
      }
      if text[text.index(before: tagEnd)] == "/" {  // <Name/>
        found.append(text[tagEnd..<tagEnd])
        searchFrom = text.index(after: tagEnd)
        continue
      }
      let contentStart = text.index(after: tagEnd)
      guard let close = text.range(of: closing, range: contentStart..<text.endIndex) else { break }
      found.append(text[contentStart..<close.lowerBound])
      searchFrom = close.upperBound
    }
    return found
  }

  public func scanners(_ name: String) -> [XMLScanner] { elements(name).map { XMLScanner($0) } }

  public static func unescape(_ text: String) -> String {
    guard text.contains("&") else { return text }
    var out = text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
      .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
    while let range = out.range(of: "&#"), let end = out[range.upperBound...].firstIndex(of: ";") {
      let body = out[range.upperBound..<end]
      let value = body.hasPrefix("x") ? UInt32(body.dropFirst(), radix: 16) : UInt32(body)
      out.replaceSubrange(range.lowerBound...end, with: value.flatMap(Unicode.Scalar.init).map { String($0) } ?? "")
    }
    return out.replacingOccurrences(of: "&amp;", with: "&")
  }

  public static func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
      .replacingOccurrences(of: "'", with: "&apos;")
  }
}
