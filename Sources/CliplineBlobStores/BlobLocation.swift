import CliplineRecords
import CliplineSources
import CliplineSystem
import Foundation

/// Where an object lives: `file:///abs/path` (or a bare path), `http(s)://…`, `s3://bucket/key`,
/// `az://account/container/blob`. Keys, blob names and paths are taken as written (never percent-decoded), so one
/// key names the same object in every store.
public enum BlobLocation: Equatable, Sendable, CustomStringConvertible {
  case file(path: String)
  case http(url: String)
  case s3(bucket: String, key: String)
  case azure(account: String, container: String, blob: String)

  /// A text that is not a storage URL (65).
  public typealias InvalidLocation = SourceURL.Invalid

  public init(parsing text: String) throws {
    let remote: RemoteSource
    switch try SourceURL(parsing: text) {
    case .local(let path):
      self = .file(path: path)
      return
    case .remote(let source): remote = source
    }
    switch remote.scheme {
    case .http:
      self = .http(url: text)
    case .s3:
      let parts = remote.afterScheme.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
      guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
        throw InvalidLocation(text: text, reason: "expected s3://bucket/key")
      }
      self = .s3(bucket: String(parts[0]), key: String(parts[1]))
    case .azure:
      let parts = remote.afterScheme.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
      guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
        throw InvalidLocation(text: text, reason: "expected az://account/container/blob")
      }
      self = .azure(account: String(parts[0]), container: String(parts[1]), blob: String(parts[2]))
    }
  }

  public var description: String {
    switch self {
    case .file(let path): return "file://" + path
    case .http(let url): return url
    case .s3(let bucket, let key): return "s3://\(bucket)/\(key)"
    case .azure(let account, let container, let blob): return "az://\(account)/\(container)/\(blob)"
    }
  }
}

/// A location no store of this set holds (an http(s) URL; an s3:// one handed to the Azure store) (78).
public struct UnsupportedLocation: ExitStatusProviding, CustomStringConvertible {
  public let location: BlobLocation
  public var exitStatus: ExitStatus { .configuration }
  public var description: String { "no store is configured for \(location)" }
}
