import Foundation

/// A download still running into a `GrowingFile`, which a reader may consume as it arrives.
public protocol RunningDownload: AnyObject, Sendable {
  var file: GrowingFile { get }
  /// Stops the download soon (readers waiting for missing bytes then fail).
  func cancel()
  /// Waits until the download has ended; throws its error, unless it was cancelled.
  func wait() throws
}

extension RunningDownload {
  /// Stops the download if it still runs and removes its file.
  public func discard() {
    cancel()
    _ = try? wait()
    unlink(file.path)
  }
}

/// A download stopped because its reader no longer needs it.
public struct DownloadCancelled: Error, CustomStringConvertible {
  public init() {}
  public var description: String { "the download was cancelled" }
}
