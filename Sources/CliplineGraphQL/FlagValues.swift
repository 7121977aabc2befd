import CliplineRecords
import CliplineSystem
import Foundation

/// The `--field` and `--header` values of `gql-mutate`, read the same way wherever they are given.
public enum FlagValues {
  /// `name=text` (a string) or `name:=JSON` (any JSON value).
  public static func field(_ text: String) throws -> (name: String, value: JSONValue) {
    guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
      throw BindingSyntaxError("--field \"\(text)\": write name=text or name:=JSON (e.g. process_id:=101)")
    }
    var name = String(text[..<equals])
    let value = String(text[text.index(after: equals)...])
    guard name.hasSuffix(":") else { return (name, .string(value)) }
    name.removeLast()
    guard !name.isEmpty, let parsed = try? JSONParser.parse(Array(value.utf8)) else {
      throw BindingSyntaxError("--field \"\(text)\": the value after \":=\" is not JSON (strings need quotes)")
    }
    return (name, parsed)
  }

  /// `Name: value`.
  public static func header(_ text: String) throws -> (name: String, value: String) {
    guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else {
      throw BindingSyntaxError("--header \"\(text)\": write \"Name: value\"")
    }
    let name = text[..<colon].trimmingCharacters(in: .whitespaces)
    guard !name.contains(" ") else { throw BindingSyntaxError("--header \"\(text)\": a header name has no spaces") }
    return (name, text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces))
  }
}
