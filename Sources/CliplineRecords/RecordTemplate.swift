import CliplineSystem

/// A string with `{field}` holes filled from a record: `live/{camera_id}/{start_time}.mp4`,
/// `chunk_{chunk_id:03}.mp4` (zero-padded), `{video_preprocessing.fps}` (dotted path); `{{` and `}}` are braces.
public struct RecordTemplate: Equatable, Sendable, CustomStringConvertible {
  enum Part: Equatable, Sendable {
    case literal(String)
    case field(path: String, width: Int?)
  }

  let parts: [Part]
  public let description: String

  public struct SyntaxError: Error, CustomStringConvertible, ExitStatusProviding {
    public let template: String
    public let reason: String
    public var description: String { "template \(quoted(template)): \(reason)" }
    public var exitStatus: ExitStatus { .usage }
  }

  public init(_ text: String) throws {
    description = text
    var parts: [Part] = []
    var literal = ""
    var iterator = Array(text)[...]
    while let character = iterator.popFirst() {
      if character == "{" {
        if iterator.first == "{" {
          iterator.removeFirst()
          literal.append("{")
          continue
        }
        guard let close = iterator.firstIndex(of: "}") else {
          throw SyntaxError(template: text, reason: "a '{' is never closed")
        }
        let body = String(iterator[..<close])
        iterator = iterator[(close + 1)...]
        let pieces = body.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(pieces[0])
        guard !path.isEmpty, path.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }) else {
          throw SyntaxError(template: text, reason: "\"{\(body)}\" is not a field name")
        }
        var width: Int?
        if pieces.count == 2 {
          guard pieces[1].first == "0", let parsed = Int(pieces[1]), parsed > 0 else {
            throw SyntaxError(template: text, reason: "\"{\(body)}\": a width is written like {chunk_id:03}")
          }
          width = parsed
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        literal = ""
        parts.append(.field(path: path, width: width))
      } else if character == "}" {
        guard iterator.first == "}" else { throw SyntaxError(template: text, reason: "a '}' has no '{'") }
        iterator.removeFirst()
        literal.append("}")
      } else {
        literal.append(character)
      }
    }
    if !literal.isEmpty { parts.append(.literal(literal)) }
    self.parts = parts
  }

  /// The fields the template reads, for checking records before any work.
  public var fieldPaths: [String] {
    parts.compactMap { if case .field(let path, _) = $0 { return path } else { return nil } }
  }

  /// Fills the holes; each value may be checked or rewritten by `transform` (blob keys refuse `..`, say).
  public func render(_ record: Record, transform: (String, String) throws -> String = { $1 }) throws -> String {
    try render(record) { field, value, _ in try transform(field, value) }
  }

  /// Fills the holes; `check` sees each value with what the template rendered before it (a storage URL's bucket is
  /// the part before its first "/", so a value there may not hold one).
  public func render(
    _ record: Record, check: (_ field: String, _ value: String, _ before: String) throws -> String
  ) throws -> String {
    var out = ""
    for part in parts {
      switch part {
      case .literal(let text):
        out += text
      case .field(let path, let width):
        guard let value = record.value(at: path), value != .null else { throw InputError.missingField(path) }
        var text = value.textValue
        if let width, let integer = value.integerValue {
          text = String(integer)
          if text.count < width { text = String(repeating: "0", count: width - text.count) + text }
        }
        out += try check(path, text, out)
      }
    }
    return out
  }
}
