import CliplineSystem
import Foundation

/// Keeps, drops, renames and sets top-level fields of a record, so what leaves a pipe for another service is
/// that service's message. The steps run in one fixed order: rename, then keep or drop, then set (whose
/// templates read the record as it came in, so a dropped field can still fill a value).
public struct RecordShape: Equatable, Sendable {
  public struct Rename: Equatable, Sendable {
    public let from: String
    public let to: String
  }

  public enum Value: Equatable, Sendable {
    /// A string made from `{field}` holes.
    case template(RecordTemplate)
    /// A literal JSON value (number, object, …).
    case json(JSONValue)
  }

  public struct Assignment: Equatable, Sendable {
    public let field: String
    public let value: Value
  }

  /// A shape flag that does not parse (exit 64), naming the flag and what it should look like.
  public struct SyntaxError: Error, CustomStringConvertible, ExitStatusProviding {
    public let description: String
    public var exitStatus: ExitStatus { .usage }
  }

  public var renames: [Rename] = []
  /// nil keeps every field.
  public var keep: [String]?
  public var drop: Set<String> = []
  public var assignments: [Assignment] = []

  public init() {}

  /// Builds a shape from flag values: `--rename OLD=NEW`, `--keep a,b`, `--drop a,b`, `--set F=TEMPLATE`,
  /// `--set-json F=JSON`.
  public init(
    renames: [String] = [], keep: [String] = [], drop: [String] = [], set: [String] = [], setJSON: [String] = []
  ) throws {
    self.renames = try renames.map { text in
      let (from, to) = try Self.split(text, flag: "--rename", example: "clip_start_time=live_start_time")
      guard Self.isFieldName(to) else {
        throw SyntaxError(description: "--rename \"\(text)\": \"\(to)\" is not a field name")
      }
      return Rename(from: from, to: to)
    }
    let kept = try Self.names(keep, flag: "--keep")
    self.keep = keep.isEmpty ? nil : kept
    self.drop = Set(try Self.names(drop, flag: "--drop"))
    assignments = try set.map { text in
      let (field, template) = try Self.split(text, flag: "--set", example: "destination_prefix=processed/{process_id}/")
      do {
        return Assignment(field: field, value: .template(try RecordTemplate(template)))
      } catch let error as RecordTemplate.SyntaxError {
        throw SyntaxError(description: "--set \"\(text)\": \(error.description)")
      }
    }
    assignments += try setJSON.map { text in
      let (field, json) = try Self.split(text, flag: "--set-json", example: #"video_preprocessing={"fps":15}"#)
      do {
        return Assignment(field: field, value: .json(try JSONParser.parse(json)))
      } catch {
        throw SyntaxError(description: "--set-json \"\(text)\": the value is not JSON (\(error))")
      }
    }
  }

  /// The shaped record. A renamed field that is missing, or a template hole that is, fails (exit 65) naming it;
  /// a kept field that is missing is simply absent.
  public func apply(to record: Record) throws -> Record {
    var output = record
    for rename in renames {
      guard let value = output.fields.removeValue(forKey: rename.from) else {
        throw InputError.missingField(rename.from)
      }
      output[rename.to] = value
    }
    if let keep {
      output.fields = output.fields.filter { keep.contains($0.key) }
    }
    for name in drop { output[name] = nil }
    for assignment in assignments {
      switch assignment.value {
      case .template(let template): output[assignment.field] = .string(try template.render(record))
      case .json(let value): output[assignment.field] = value
      }
    }
    return output
  }

  private static func split(_ text: String, flag: String, example: String) throws -> (String, String) {
    guard let equals = text.firstIndex(of: "="), isFieldName(String(text[..<equals])) else {
      throw SyntaxError(description: "\(flag) \"\(text)\" is not FIELD=VALUE, e.g. \(flag) '\(example)'")
    }
    return (String(text[..<equals]), String(text[text.index(after: equals)...]))
  }

  private static func names(_ lists: [String], flag: String) throws -> [String] {
    let names = lists.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
    if let bad = names.first(where: { !isFieldName($0) }) {
      throw SyntaxError(description: "\(flag): \"\(bad)\" is not a field name (give names separated by commas)")
    }
    return names
  }

  static func isFieldName(_ text: String) -> Bool {
    !text.isEmpty && text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
  }
}
