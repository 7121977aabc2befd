import CliplineRecords
import Foundation

/// Secrets given as flags: every user of the machine reads them in `ps` (and they stay in shell history). They keep
/// working, for scripts; the option group that takes one notes it while the command line is checked (`validate()`),
/// and the tool's diagnostics say it once, with the safer ways, before the tool starts.
public enum SecretFlags {
  private static let lock = NSLock()
  /// Guarded by `lock`: each flag noted with the sentence that says it, in order; the first `said` were said.
  nonisolated(unsafe) private static var noted: [(flag: String, sentence: String)] = []
  nonisolated(unsafe) private static var said = 0

  /// `flag` carried a secret; `saferWays` names where else the tool reads it. The sentence is shaped so that the
  /// diagnostics' secret masking (`SecretRedaction`) leaves it whole: the flag in parentheses, no `name: value`.
  public static func note(_ flag: String, saferWays: String) {
    lock.withLock {
      guard !noted.contains(where: { $0.flag == flag }) else { return }
      noted.append(
        (
          flag,
          "a secret on the command line (\(flag)) is readable by every user of this machine (ps, shell history); "
            + "it works, but prefer \(saferWays)"
        ))
    }
  }

  /// Notes `flag` when its URL carries a password (`scheme://user:password@host`).
  public static func noteURLPassword(_ flag: String, _ url: String?, saferWays: String) {
    guard let url, let password = URLComponents(string: url)?.password, !password.isEmpty else { return }
    note(flag, saferWays: saferWays)
  }

  /// The warnings not said yet; each is said once per process.
  static func takeWarnings() -> [String] {
    lock.withLock {
      defer { said = noted.count }
      return noted[said...].map(\.sentence)
    }
  }
}
