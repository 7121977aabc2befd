import CliplineRecords
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

  public struct InvalidLocation: ExitStatusProviding, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var exitStatus: ExitStatus { .dataError }
    public var description: String { "\"\(SecretRedaction.url(text))\" is not a storage URL: \(reason)" }
  }

  public init(parsing text: String) throws {
    if text.hasPrefix("/") {
      self = .file(path: text)
      return
    }
    guard let schemeEnd = text.range(of: "://") else {
      throw InvalidLocation(text: text, reason: "expected s3://, az://, file:///, http(s):// or an absolute path")
    }
    let scheme = text[..<schemeEnd.lowerBound].lowercased()
    let rest = String(text[schemeEnd.upperBound...])
    switch scheme {
    case "file":
      guard rest.hasPrefix("/") else { throw InvalidLocation(text: text, reason: "file URLs take an absolute path") }
      // Taken as written, like an S3 key or Azure blob name: `%20` is three characters in every store.
      self = .file(path: rest)
    case "http", "https":
      self = .http(url: text)
    case "s3":
      let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
      guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
        throw InvalidLocation(text: text, reason: "expected s3://bucket/key")
      }
      self = .s3(bucket: String(parts[0]), key: String(parts[1]))
    case "az":
      let parts = rest.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
      guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
        throw InvalidLocation(text: text, reason: "expected az://account/container/blob")
      }
      self = .azure(account: String(parts[0]), container: String(parts[1]), blob: String(parts[2]))
    default:
      throw InvalidLocation(text: text, reason: "unknown scheme \"\(scheme)\"")
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

  /// The last path component, for naming a downloaded copy.
  public var fileName: String {
    let path: String
    switch self {
    case .file(let p): path = p
    case .http(let url): path = URLComponents(string: url)?.path ?? url
    case .s3(_, let key): path = key
    case .azure(_, _, let blob): path = blob
    }
    let name = (path as NSString).lastPathComponent
    return name.isEmpty ? "source" : name
  }
}
