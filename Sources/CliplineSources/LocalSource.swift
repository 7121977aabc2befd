import Foundation

/// A source video as a local file: the original for `file://`, a downloaded copy (removed after use) otherwise.
public struct LocalSource {
  public let path: String
  public let isDownloadedCopy: Bool

  public init(path: String, isDownloadedCopy: Bool) {
    self.path = path
    self.isDownloadedCopy = isDownloadedCopy
  }

  public func discard() {
    if isDownloadedCopy { try? FileManager.default.removeItem(atPath: path) }
  }
}
