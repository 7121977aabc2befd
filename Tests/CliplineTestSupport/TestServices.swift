import Foundation

/// The real services the tests talk to, found through the environment `scripts/services start` prints.
/// A test that needs one and cannot find it fails, naming the service and its target: it never passes or skips.
public enum TestServices {
  /// The value of a variable a service prints. `fileID` names the calling test's target, whose declaration in
  /// `TestTargets` must list that service: helpers in this module take it from their own caller and pass it on.
  public static func require(_ variable: String, fileID: String = #fileID) throws -> String {
    let target = String(fileID.prefix { $0 != "/" })
    let service = try TestService.printing(variable)
    guard let declared = TestTargets.services[target] else {
      throw TestFailure(
        "\(target) is not declared in Tests/CliplineTestSupport/TestTargets.swift: add it with the services it needs")
    }
    guard declared.contains(service) else {
      throw TestFailure(
        "\(target) reads \(variable), which `scripts/services start \(service.rawValue)` prints, but its line in "
          + "Tests/CliplineTestSupport/TestTargets.swift does not list \(service.rawValue)")
    }
    guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else {
      let names = declared.map(\.rawValue).joined(separator: " ")
      throw TestFailure(
        "\(variable) is not set: \(target) needs \(service.rawValue) running; start what it needs with "
          + "`scripts/services start \(names)` and export what that prints, or run scripts/test, which starts "
          + "every service")
    }
    return value
  }
}

/// A service `scripts/services start NAME` runs on loopback (`scripts/services.d/NAME`).
public enum TestService: String, Sendable {
  case rabbitmq, redis, s3
  case azureBlob = "azure-blob"
  case kvs, graphql

  /// The service whose start prints `variable`, known by the variable's prefix.
  static func printing(_ variable: String) throws -> TestService {
    let prefixes: [(String, TestService)] = [
      ("AMQP", .rabbitmq), ("RABBITMQ_", .rabbitmq), ("REDIS_", .redis), ("AWS_ENDPOINT_URL_S3", .s3),
      ("CLIPLINE_TEST_S3_", .s3), ("CLIPLINE_TEST_AZURE_", .azureBlob), ("AWS_ENDPOINT_URL_KINESIS_VIDEO", .kvs),
      ("KVS_TEST_", .kvs), ("GRAPHQL_", .graphql),
    ]
    guard let service = prefixes.first(where: { variable.hasPrefix($0.0) })?.1 else {
      throw TestFailure("\(variable) is printed by none of scripts/services.d/: TestService.printing must know it")
    }
    return service
  }
}

/// A scratch directory under `$TMPDIR`, removed when the test that made it ends (made outside a test, in a class's
/// `setUp`, when the run ends). XCTest keeps every test case object until the process exits, so a `deinit` alone
/// never ran and each run left its directories behind (/tmp filled).
public final class ScratchDirectory: Sendable {
  public let path: String

  /// - Parameter lastingTheRun: for what tests share (a server started once per process): removed when the run
  ///   ends, not when the test that made it does.
  public init(_ name: String = "test", lastingTheRun: Bool = false) throws {
    var template = Array("\(NSTemporaryDirectory())/clipline-\(name).XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw TestFailure("mkdtemp failed") }
    path = String(cString: made)
    if lastingTheRun {
      ScratchRemoval.shared.trackUntilTheRunEnds(path)
    } else {
      ScratchRemoval.shared.track(path)
    }
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }

  public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
}
