import CliplineCrypto
import CliplineRecords
import CliplineSystem
import Foundation

/// The aws CLI's cache of assumed roles, `~/.aws/cli/cache/<key>.json`, shared with it: a tool run once per message
/// asks STS once an hour instead of once a message, and a role the aws CLI assumed (an MFA-protected one
/// included) serves clipline too. Entries are used until 15 minutes before they expire, as the aws CLI uses them;
/// files are the user's alone (0600 in a 0700 directory). A cache that cannot be read or written is no cache.
struct AssumedRoleCache {
  let directory: String
  /// botocore's window: cached credentials closer than this to their expiry are fetched again.
  static let expiryWindow: TimeInterval = 15 * 60

  static func standard() -> AssumedRoleCache? {
    guard let home = Settings.environment("HOME") else { return nil }
    return AssumedRoleCache(directory: home + "/.aws/cli/cache")
  }

  func load(_ role: STSClient.AssumeRole, now: Date = Date()) -> AWSCredentials? {
    guard let data = FileManager.default.contents(atPath: path(for: role)),
      case .object(let file)? = try? JSONParser.parse(Array(data)),
      case .object(let credentials)? = file["Credentials"],
      let id = credentials["AccessKeyId"]?.stringValue, let secret = credentials["SecretAccessKey"]?.stringValue,
      let expiration = credentials["Expiration"]?.stringValue.flatMap(Self.parseExpiration),
      expiration.timeIntervalSince(now) >= Self.expiryWindow
    else { return nil }
    return AWSCredentials(
      accessKeyId: id, secretAccessKey: secret, sessionToken: credentials["SessionToken"]?.stringValue,
      expiration: expiration)
  }

  func store(_ credentials: AWSCredentials, for role: STSClient.AssumeRole) {
    guard let expiration = credentials.expiration else { return }
    var fields: [String: JSONValue] = [
      "AccessKeyId": .string(credentials.accessKeyId), "SecretAccessKey": .string(credentials.secretAccessKey),
      "Expiration": .string(RFC3339.format(expiration, fractionalDigits: 0)),
    ]
    if let token = credentials.sessionToken { fields["SessionToken"] = .string(token) }
    let bytes = JSONSerializer.bytes(.object(["Credentials": .object(fields)]))
    let final = path(for: role)
    guard
      (try? FileManager.default.createDirectory(
        atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])) != nil
    else { return }
    try? WholeFile.write(bytes, to: final, permissions: 0o600)
  }

  func path(for role: STSClient.AssumeRole) -> String { directory + "/" + Self.key(for: role) + ".json" }

  /// botocore's key: the SHA-1 of the AssumeRole arguments as Python's `json.dumps(args, sort_keys=True)` writes
  /// them; a session name clipline makes up is left out, as botocore leaves out the one it makes up.
  static func key(for role: STSClient.AssumeRole) -> String {
    var arguments: [(String, String)] = [("RoleArn", PythonJSON.string(role.roleArn))]
    if let name = role.sessionName { arguments.append(("RoleSessionName", PythonJSON.string(name))) }
    if let externalId = role.externalId { arguments.append(("ExternalId", PythonJSON.string(externalId))) }
    if let serial = role.mfaSerial { arguments.append(("SerialNumber", PythonJSON.string(serial))) }
    if let duration = role.durationSeconds { arguments.append(("DurationSeconds", String(duration))) }
    let text = "{" + arguments.sorted { $0.0 < $1.0 }.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    guard let digest = try? Digest(.sha1) else { return "" }
    digest.update(text)
    return digest.finish().hexString
  }

  /// The aws CLI writes `2026-12-07T13:00:00UTC` (strftime's %Z), newer versions RFC 3339 with an offset.
  static func parseExpiration(_ text: String) -> Date? {
    RFC3339.parse(text.hasSuffix("UTC") ? String(text.dropLast(3)) + "Z" : text)
  }
}

/// Python's `json.dumps` of a string with its defaults (`ensure_ascii`): what botocore hashes must be hashed here
/// byte for byte.
enum PythonJSON {
  static func string(_ text: String) -> String {
    var out = "\""
    for unit in text.utf16 {
      switch unit {
      case 0x22: out += "\\\""
      case 0x5C: out += "\\\\"
      case 0x0A: out += "\\n"
      case 0x0D: out += "\\r"
      case 0x09: out += "\\t"
      case 0x08: out += "\\b"
      case 0x0C: out += "\\f"
      case 0x20...0x7E: out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
      default: out += "\\u" + String(format: "%04x", unit)
      }
    }
    return out + "\""
  }
}
