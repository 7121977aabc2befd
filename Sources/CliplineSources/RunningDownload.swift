import CliplineSystem
import Foundation

/// A download still running, whose bytes a reader may consume as they arrive.
public protocol RunningDownload: AnyObject, Sendable {
  var source: ArrivingBytes { get }
  /// Stops the download soon (readers waiting for missing bytes then fail).
  func cancel()
  /// Waits until the download has ended; throws its error, unless it was cancelled.
  func wait() throws
  /// Stops the download if it still runs and removes what it kept (a file).
  func discard()
}

/// A download stopped because its reader no longer needs it.
public struct DownloadCancelled: Error, CustomStringConvertible {
  public init() {}
  public var description: String { "the download was cancelled" }
}
