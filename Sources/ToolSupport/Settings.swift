import Foundation

/// Flags win over environment, environment over defaults. Empty variables count as unset.
public enum Settings {
  public static func environment(_ name: String) -> String? {
    guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
    return value
  }

  public static func resolve(flag: String?, environment names: String..., default fallback: String? = nil) -> String? {
    if let flag, !flag.isEmpty { return flag }
    for name in names { if let value = environment(name) { return value } }
    return fallback
  }
}

/// Keeps secrets out of stderr: passwords in URLs, tokens in query strings.
public enum SecretRedaction {
  public static func url(_ text: String) -> String {
    guard var components = URLComponents(string: text) else { return text }
    if components.password != nil { components.password = "***" }
    if let items = components.queryItems, !items.isEmpty {
      let secretNames: Set<String> = ["sig", "x-amz-signature", "x-amz-security-token", "x-amz-credential", "token"]
      components.queryItems = items.map {
        secretNames.contains($0.name.lowercased()) ? URLQueryItem(name: $0.name, value: "***") : $0
      }
    }
    return components.string ?? text
  }
}
