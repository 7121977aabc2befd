import Foundation

/// The first error of a set of jobs running on other threads; later ones are dropped.
public final class FirstFailure: @unchecked Sendable {  // `lock` guards `stored`
  private let lock = NSLock()
  private var stored: Error?

  public init() {}

  public var error: Error? { lock.withLock { stored } }

  public func record(_ error: Error) { lock.withLock { if stored == nil { stored = error } } }

  /// The error, forgotten: the next set of jobs starts clean.
  public func take() -> Error? {
    lock.withLock {
      defer { stored = nil }
      return stored
    }
  }
}
