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
