import Foundation

/// The real services the tests talk to, found through the environment `scripts/test` exports.
/// A test that needs one and cannot find it fails: it never passes or skips silently.
public enum TestServices {
  public static func require(_ variable: String) throws -> String {
    guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else {
      throw TestFailure(
        "\(variable) is not set: run the tests with scripts/test, which starts RabbitMQ, Redis, S3, KVS and GraphQL "
          + "on loopback and exports their addresses")
    }
    return value
  }
}

/// A scratch directory removed when the test ends.
public final class ScratchDirectory {
  public let path: String

  public init(_ name: String = "test") throws {
    var template = Array("\(NSTemporaryDirectory())/clipline-\(name).XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw TestFailure("mkdtemp failed") }
    path = String(cString: made)
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }

  public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
}
