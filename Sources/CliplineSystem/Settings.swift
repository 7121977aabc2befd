import Foundation

/// Flags win over environment, environment over defaults. Empty variables count as unset.
public enum Settings {
  /// A variable's value; when it is unset, the systemd credential of the same name, if the service has one
  /// (`LoadCredential=NAME:PATH` puts it in `$CREDENTIALS_DIRECTORY/NAME`, readable by the service alone), so a
  /// secret need not sit in an environment file or in `/proc/PID/environ`.
  public static func environment(_ name: String) -> String? {
    if let value = ProcessInfo.processInfo.environment[name], !value.isEmpty { return value }
    return credential(name)
  }

  public static func resolve(flag: String?, environment names: String..., default fallback: String? = nil) -> String? {
    if let flag, !flag.isEmpty { return flag }
    for name in names { if let value = environment(name) { return value } }
    return fallback
  }

  /// The content of `$CREDENTIALS_DIRECTORY/NAME` without its trailing newline, or nil (no directory, no such
  /// credential, or an empty one). Names with a `/` are never looked up.
  static func credential(_ name: String) -> String? {
    guard let directory = ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty,
      !name.isEmpty, !name.contains("/"),
      let data = FileManager.default.contents(atPath: directory + "/" + name),
      var value = String(data: data, encoding: .utf8)
    else { return nil }
    while value.hasSuffix("\n") || value.hasSuffix("\r") { value.removeLast() }
    return value.isEmpty ? nil : value
  }
}
