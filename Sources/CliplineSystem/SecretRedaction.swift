import Foundation

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
