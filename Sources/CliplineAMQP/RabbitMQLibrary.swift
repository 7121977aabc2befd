internal import CCliplineRabbitMQ
import CliplineCrypto
import CliplineSystem

/// rabbitmq-c, loaded the first time a tool opens a connection instead of by the dynamic linker at every start
/// (`SharedLibraries`); it brings libssl with it.
public enum RabbitMQLibrary {
  static let soname = "librabbitmq.so.4"

  private static let loaded: Result<Void, any Error> = Result {
    try OpenSSLProcessSetup.load()  // before rabbitmq-c initialises OpenSSL for TLS
    try SharedLibraries.open([soname], of: "rabbitmq-c", install: "rabbitmq-c (librabbitmq4)")
  }

  /// Loads it the first time; afterwards returns at once, or throws the same error again.
  public static func load() throws { try loaded.get() }

  /// The rabbitmq-c this process runs with, for `--version`; or why it cannot be loaded.
  public static var version: String {
    do {
      try load()
    } catch {
      return "not loaded (\(error))"
    }
    return String(cString: amqp_version())
  }
}
