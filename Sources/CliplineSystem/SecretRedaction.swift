import Foundation

/// Keeps secrets out of stderr and dead-letter headers: the one place that knows what a credential looks like.
public enum SecretRedaction {
  /// A URL as it was typed (no re-encoding: the error names what the user wrote), its credentials masked: the
  /// password, SigV4 and SAS query signatures, tokens — the shapes `text` masks.
  public static func url(_ text: String) -> String { Self.text(text) }

  /// Environment variables whose values are secrets wherever they turn up (a handler may print one).
  public static let secretVariables = [
    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN", "GRAPHQL_TOKEN",
    "REDIS_PASSWORD",
  ]

  /// Free text (a handler's stderr, an error sentence) with every credential shape masked: URL passwords (with or
  /// without a user), PEM private keys, `Authorization:` values, `Bearer`/`Basic` credentials, SigV4
  /// `Signature=`/`Credential=`, SAS `sig=`, `token=`/`secret=`/`password=`/`AccountKey=`, the same names as JSON keys
  /// (`"aws_secret_access_key": "…"`), flags with a value (`--secret-access-key VALUE`), and the values of
  /// `secretVariables` present in the environment.
  public static func text(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment)
    -> String
  {
    var masked = text
    for name in secretVariables {
      // Short values would mask ordinary words; real keys and tokens are long.
      guard let value = environment[name], value.count >= 8 else { continue }
      masked = masked.replacingOccurrences(of: value, with: "***")
    }
    guard mayHaveASecretShape(masked) else { return masked }
    for (expression, template) in patterns {
      masked = expression.stringByReplacingMatches(
        in: masked, range: NSRange(masked.startIndex..., in: masked), withTemplate: template)
    }
    return masked
  }

  /// One stream masked a line at a time (a handler's stderr, relayed as it comes): each line as `text` masks it,
  /// and the lines of a private key between its BEGIN and END lines, which no line alone shows to be secret.
  /// `lock` guards `inPrivateKey`.
  public final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var inPrivateKey = false

    public init() {}

    public func mask(_ line: String) -> String {
      let marker = line.contains("PRIVATE KEY-----")
      let begins = marker && line.contains("-----BEGIN ")
      let ends = marker && line.contains("-----END ")
      return lock.withLock {
        if inPrivateKey {
          inPrivateKey = !ends
          return "***"
        }
        inPrivateKey = begins && !ends
        return SecretRedaction.text(line)
      }
    }
  }

  /// A word or mark that every shape `patterns` masks contains (the URL's "://", a key name's, "Authorization",
  /// "Bearer"/"Basic"), ASCII case ignored. Text with none of them, all ASCII, cannot match: every tool's start-up
  /// prepares its shortage sentences (`runTool`), and compiling the expressions (ICU builds Unicode sets) was most
  /// of a small tool's own start-up CPU. Non-ASCII text always goes through them: case-insensitive matching folds
  /// "ſ" to "s" and the Kelvin sign to "k".
  private static let shapeMarks = [
    "://", "pass", "pwd", "secret", "token", "key", "credential", "sig", "sas", "authorization", "bearer", "basic",
  ].map { Array($0.utf8) }

  static func mayHaveASecretShape(_ text: String) -> Bool {
    var lowered: [UInt8] = []
    lowered.reserveCapacity(text.utf8.count)
    for byte in text.utf8 {
      guard byte < 0x80 else { return true }
      lowered.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
    }
    return shapeMarks.contains { mark in
      lowered.count >= mark.count
        && (0...(lowered.count - mark.count)).contains { lowered[$0..<($0 + mark.count)].elementsEqual(mark) }
    }
  }

  private static let patterns: [(NSRegularExpression, String)] = [
    // scheme://user:secret@host. Linear on any line: a scheme starts only where a run of scheme characters starts
    // (the look-behind), and the secret cannot run past the next "/", "?" or "#" (RFC 3986 userinfo has none), so
    // no start scans more than its own URL. Without both, a 16 KB line of letters took seconds (issue 24, item 13).
    // The user may be empty (redis://:secret@host).
    (#"(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)[^@\s/?#]+@"#, "$1***@"),
    // PEM private keys, whole; one cut by the end of the text (a stderr tail) from its BEGIN on, and one whose
    // BEGIN was cut off from the start of the text to its END.
    (#"(-----BEGIN [A-Z ]{0,30}PRIVATE KEY-----)[\s\S]*?(?:-----END [A-Z ]{0,30}PRIVATE KEY-----|\z)"#, "$1 ***"),
    (#"\A[\s\S]*?-----END [A-Z ]{0,30}PRIVATE KEY-----"#, "*** (a private key)"),
    // JSON (or Python) objects: {"aws_secret_access_key": "…", "SessionToken": "…", "password": "…"}. Names are
    // bounded, so a long line costs linear time.
    (
      #"(?i)(["'][A-Za-z0-9_.-]{0,40}?(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|accountkey|"#
        + #"signature|credential|sig)[A-Za-z0-9_.-]{0,40}["']\s*:\s*["'])(?:[^"'\\\r\n]|\\.)*"#, "$1***"
    ),
    // Command lines: --secret-access-key VALUE, --password=VALUE, --token VALUE.
    (
      #"(?i)(--[a-z0-9-]{0,40}?(?:secret|password|passwd|token|signature|credential|api-key|access-key|sas)"#
        + #"[a-z0-9-]{0,40}(?:[ \t]+|=))[^\s-]\S*"#, "$1***"
    ),
    // Authorization: <scheme> <credentials>, whatever the scheme (Bearer, Basic, AWS4-HMAC-SHA256, SharedKey)
    (#"(?i)((?:proxy-)?authorization"?\s*[:=]\s*"?)[^\r\n"]+"#, "$1***"),
    // Bearer/Basic credentials; a server's own words after the scheme ("unknown bearer token") are prose, kept.
    (
      #"(?i)\b((?:bearer|basic)\s+)(?!(?:tokens?|credentials?|auth|authentication|scheme)\b)[A-Za-z0-9\-._~+/]+=*"#,
      "$1***"
    ),
    // SigV4 (header and query forms), SAS, and the generic key=value shapes
    (
      #"(?i)((?:x-amz-)?(?:signature|credential|security-token)\s*[=:]\s*)[^\s,&;"']+"#, "$1***"
    ),
    (
      #"(?i)\b((?:sig|password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|accountkey|"#
        + #"sharedaccesssignature|client[_-]?secret|session[_-]?token|aws_secret_access_key|aws_session_token)\s*[=:]\s*)"#
        + #"[^\s,&;"']+"#, "$1***"
    ),
  ].map { (try! NSRegularExpression(pattern: $0.0), $0.1) }
}
