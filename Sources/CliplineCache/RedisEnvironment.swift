import CliplineSystem
import Foundation

/// The Redis settings of the services clipline replaces (S2's `REDIS_HOST`, `REDIS_PASSWORD`, and the `REDIS_PORT`
/// beside them), read after clipline's own `REDIS_URL` and the flags: an operator migrating keeps the deployment's
/// environment.
extension RedisURL {
  /// The Redis the environment names when no flag does: `REDIS_URL`, else `REDIS_HOST` (with `REDIS_PORT`); with
  /// the variable it came from, for the sentence when it is not a Redis URL.
  public static func fromEnvironment() -> (text: String, variable: String)? {
    if let url = Settings.environment("REDIS_URL") { return (url, "REDIS_URL") }
    guard let host = Settings.environment("REDIS_HOST") else { return nil }
    let port = Settings.environment("REDIS_PORT").map { ":" + $0 } ?? ""
    return ("redis://\(host)\(port)", "REDIS_HOST")
  }

  /// This URL with `REDIS_PASSWORD` as its password when it carries none, so the password stays out of URLs,
  /// flags and `ps`; a password in the URL wins.
  public func withEnvironmentPassword() -> RedisURL {
    guard password?.isEmpty ?? true, let secret = Settings.environment("REDIS_PASSWORD") else { return self }
    return RedisURL(host: host, port: port, user: user, password: secret, database: database)
  }

  init(host: String, port: Int, user: String?, password: String?, database: Int) {
    self.host = host
    self.port = port
    self.user = user
    self.password = password
    self.database = database
  }
}
