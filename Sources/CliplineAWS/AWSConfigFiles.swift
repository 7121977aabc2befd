import CliplineRecords
import CliplineSystem
import Foundation

/// `~/.aws/credentials` and `~/.aws/config` as the AWS CLI reads them: INI sections, `[name]` in the credentials
/// file and `[profile name]` (or `[default]`) in the config file; `AWS_SHARED_CREDENTIALS_FILE` and
/// `AWS_CONFIG_FILE` move them.
public struct AWSConfigFiles: Sendable {
  public let credentials: [String: [String: String]]
  public let config: [String: [String: String]]

  public init(credentials: [String: [String: String]], config: [String: [String: String]]) {
    self.credentials = credentials
    self.config = config
  }

  public static func load() -> AWSConfigFiles {
    let home = Settings.environment("HOME") ?? NSHomeDirectory()
    let credentialsPath = Settings.environment("AWS_SHARED_CREDENTIALS_FILE") ?? home + "/.aws/credentials"
    let configPath = Settings.environment("AWS_CONFIG_FILE") ?? home + "/.aws/config"
    let credentials = (try? String(contentsOfFile: expand(credentialsPath), encoding: .utf8)).map(parse) ?? [:]
    var config: [String: [String: String]] = [:]
    let configSections: [String: [String: String]] =
      (try? String(contentsOfFile: expand(configPath), encoding: .utf8)).map(parse) ?? [:]
    for (section, values) in configSections {
      // The config file names profiles "profile X", except the default one.
      let name =
        section.hasPrefix("profile ") ? String(section.dropFirst(8)).trimmingCharacters(in: .whitespaces) : section
      config[name, default: [:]].merge(values) { _, new in new }
    }
    return AWSConfigFiles(credentials: credentials, config: config)
  }

  /// The profile in use: `AWS_PROFILE`, `AWS_DEFAULT_PROFILE`, else "default".
  public static func profileName(_ flag: String? = nil) -> String {
    Settings.resolve(flag: flag, environment: "AWS_PROFILE", "AWS_DEFAULT_PROFILE", default: "default")!
  }

  /// A setting of a profile; the credentials file wins over the config file, as in the AWS CLI.
  public func value(_ key: String, profile: String) -> String? {
    credentials[profile]?[key] ?? config[profile]?[key]
  }

  public func hasProfile(_ profile: String) -> Bool { credentials[profile] != nil || config[profile] != nil }

  static func expand(_ path: String) -> String { (path as NSString).expandingTildeInPath }

  /// INI as botocore reads it: `#`/`;` comments, `key = value`, indented lines continue a nested block (skipped).
  static func parse(_ text: String) -> [String: [String: String]] {
    var sections: [String: [String: String]] = [:]
    var current: String?
    for rawLine in text.split(whereSeparator: \.isNewline) {
      let line = rawLine.trimmingCharacters(in: .whitespaces)
      if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
      if rawLine.first == " " || rawLine.first == "\t" { continue }  // nested values (s3 = …) are not used here
      if line.hasPrefix("["), line.hasSuffix("]") {
        let name = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
        current = name
        sections[name, default: [:]] = sections[name] ?? [:]
        continue
      }
      guard let section = current, let equals = line.firstIndex(of: "=") else { continue }
      let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
      let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
      sections[section, default: [:]][key] = value
    }
    return sections
  }
}
