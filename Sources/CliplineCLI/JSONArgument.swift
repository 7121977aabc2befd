import ArgumentParser
import CliplineRecords
import CliplineSystem
import Foundation

/// `--inference-config '{"vlm_provider":"bedrock"}'` or `--inference-config @config.json`.
public enum JSONArgument {
  public static func parse(_ text: String, flag: String) throws -> JSONValue {
    var source = text
    if text.hasPrefix("@") {
      let path = String(text.dropFirst())
      guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("\(flag): cannot read \(path).")
      }
      source = String(decoding: data, as: UTF8.self)
    }
    do {
      return try JSONParser.parse(Array(source.utf8))
    } catch {
      throw ValidationError("\(flag) must be JSON (or @file holding JSON): \(describe(error)).")
    }
  }
}
