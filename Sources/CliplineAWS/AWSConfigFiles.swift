import CliplineRecords
import CliplineSystem
import Foundation

/// `~/.aws/credentials` and `~/.aws/config` as the AWS CLI reads them: INI sections, `[name]` in the credentials
/// file; `[profile name]` (or `[default]`), `[sso-session name]` and `[services name]` in the config file;
/// `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE` move them. A nested block (`s3 =` followed by indented
/// `endpoint_url = …` lines) is kept as keys joined by a dot (`s3.endpoint_url`).
public struct AWSConfigFiles: Sendable {
  public let credentials: [String: [String: String]]
  /// Profiles of the config file, by name ("profile X" is X).
  public let config: [String: [String: String]]
  public let ssoSessions: [String: [String: String]]
  public let services: [String: [String: String]]
  /// Where the two files were looked for, for messages.
  public let credentialsPath: String
  public let configPath: String

  public init(
    credentials: [String: [String: String]], config: [String: [String: String]],
    ssoSessions: [String: [String: String]] = [:], services: [String: [String: String]] = [:],
    credentialsPath: String = "~/.aws/credentials", configPath: String = "~/.aws/config"
  ) {
    self.credentials = credentials
    self.config = config
    self.ssoSessions = ssoSessions
    self.services = services
    self.credentialsPath = credentialsPath
    self.configPath = configPath
  }

  public static func load() -> AWSConfigFiles {
    let home = Settings.environment("HOME") ?? NSHomeDirectory()
    let credentialsPath = Settings.environment("AWS_SHARED_CREDENTIALS_FILE") ?? home + "/.aws/credentials"
    let configPath = Settings.environment("AWS_CONFIG_FILE") ?? home + "/.aws/config"
    let credentials = (try? String(contentsOfFile: expand(credentialsPath), encoding: .utf8)).map(parse) ?? [:]
    var config: [String: [String: String]] = [:]
    var ssoSessions: [String: [String: String]] = [:]
    var services: [String: [String: String]] = [:]
    let configSections: [String: [String: String]] =
      (try? String(contentsOfFile: expand(configPath), encoding: .utf8)).map(parse) ?? [:]
    // botocore's reading: "profile X", "sso-session X" and "services X" name what they hold; "default" is the
    // default profile; any other section of the config file is not a profile.
    for (section, values) in configSections {
      let words = section.split(whereSeparator: \.isWhitespace).map(String.init)
      switch (words.first, words.count) {
      case ("profile", 2): config[words[1], default: [:]].merge(values) { _, new in new }
      case ("sso-session", 2): ssoSessions[words[1]] = values
      case ("services", 2): services[words[1]] = values
      case ("default", 1): config["default", default: [:]].merge(values) { old, _ in old }
      default: continue
      }
    }
    return AWSConfigFiles(
      credentials: credentials, config: config, ssoSessions: ssoSessions, services: services,
      credentialsPath: credentialsPath, configPath: configPath)
  }

  /// The profile named by `AWS_PROFILE` or `AWS_DEFAULT_PROFILE`, else "default".
  public static func profileName(_ flag: String? = nil) -> String {
    Settings.resolve(flag: flag, environment: "AWS_PROFILE", "AWS_DEFAULT_PROFILE", default: "default")!
  }

  /// A setting of a profile; the credentials file wins over the config file, as in the AWS CLI.
  public func value(_ key: String, profile: String) -> String? {
    credentials[profile]?[key] ?? config[profile]?[key]
  }

  public func hasProfile(_ profile: String) -> Bool { credentials[profile] != nil || config[profile] != nil }

  /// Every setting of a profile, the credentials file's winning.
  public func settings(profile: String) -> [String: String] {
    (config[profile] ?? [:]).merging(credentials[profile] ?? [:]) { _, fromCredentials in fromCredentials }
  }

  static func expand(_ path: String) -> String { (path as NSString).expandingTildeInPath }

  /// INI as botocore reads it: `#`/`;` comments, `key = value` (keys in lower case), and one level of nesting: a
  /// key with no value followed by indented `key = value` lines. Other indented lines continue a value (unused).
  static func parse(_ text: String) -> [String: [String: String]] {
    var sections: [String: [String: String]] = [:]
    var current: String?
    var nestedUnder: String?
    for rawLine in text.split(whereSeparator: \.isNewline) {
      let line = rawLine.trimmingCharacters(in: .whitespaces)
      if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
      let indented = rawLine.first == " " || rawLine.first == "\t"
      if !indented, line.hasPrefix("["), line.hasSuffix("]") {
        let name = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
        current = name
        nestedUnder = nil
        sections[name, default: [:]] = sections[name] ?? [:]
        continue
      }
      guard let section = current, let (key, value) = keyAndValue(line) else { continue }
      if indented {
        if let parent = nestedUnder { sections[section, default: [:]][parent + "." + key] = value }
        continue
      }
      nestedUnder = value.isEmpty ? key : nil
      if !value.isEmpty { sections[section, default: [:]][key] = value }
    }
    return sections
  }

  private static func keyAndValue(_ line: String) -> (String, String)? {
    guard let equals = line.firstIndex(of: "=") else { return nil }
    let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
    let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
    return key.isEmpty ? nil : (key, value)
  }
}
