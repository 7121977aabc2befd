internal import CCliplineXattr
import CliplineRecords
import CliplineSystem
import Foundation

/// What a `file://` object carries besides its bytes (the SHA-256 recorded at upload, its tags), kept as one
/// extended attribute, `user.clipline`, of the file itself.
///
/// Why an extended attribute: the writer sets it on its temporary file before the one rename(2) that publishes the
/// object. Extended attributes belong to the inode and rename swaps whole inodes atomically, so a reader always
/// sees the bytes and the metadata of the same writer. A sidecar file needs a second rename, and two writers of one
/// key (a redelivered message) can interleave between the two, leaving one writer's data with the other's hash.
struct LocalObjectAttributes: Equatable {
  static let name = "user.clipline"

  var sha256: String?
  var tags: [String: String] = [:]

  /// The attribute could not be set or read: one sentence, with the exit code the cause deserves.
  struct Failure: ExitStatusProviding, CustomStringConvertible {
    let path: String
    let code: Int32

    var exitStatus: ExitStatus {
      switch code {
      case ENOTSUP: return .configuration
      case E2BIG, ERANGE: return .dataError
      default: return ExitStatus.of(errno: code)
      }
    }

    var description: String {
      switch code {
      case ENOTSUP:
        return "the file system under \(path) does not keep extended attributes (user.*), which file:// objects "
          + "use for their SHA-256 and tags"
      case E2BIG, ERANGE: return "the tags of \(path) are too large for its file system's extended attributes"
      default: return "cannot keep the metadata of \(path): \(String(cString: strerror(code)))"
      }
    }
  }

  var json: [UInt8] {
    var object: [String: JSONValue] = [:]
    if let sha256 { object["sha256"] = .string(sha256) }
    if !tags.isEmpty { object["tags"] = .object(tags.mapValues { .string($0) }) }
    return JSONSerializer.bytes(.object(object))
  }

  init(sha256: String?, tags: [String: String]) {
    self.sha256 = sha256
    self.tags = tags
  }

  /// The fields of an attribute value (or a legacy sidecar file); nil when it is not the JSON we write.
  init?(json bytes: [UInt8]) {
    guard case .object(let object)? = try? JSONParser.parse(bytes) else { return nil }
    sha256 = object["sha256"]?.stringValue
    tags = (object["tags"]?.objectValue ?? [:]).compactMapValues { $0.stringValue }
  }

  func write(to descriptor: Int32, path: String) throws {
    let bytes = json
    let result = bytes.withUnsafeBytes { fsetxattr(descriptor, Self.name, $0.baseAddress, $0.count, 0) }
    if result != 0 { throw Failure(path: path, code: errno) }
  }

  /// The attribute of an open file, nil when it has none.
  static func read(from descriptor: Int32, path: String) throws -> LocalObjectAttributes? {
    let size = fgetxattr(descriptor, name, nil, 0)
    if size < 0 {
      if errno == ENODATA || errno == ENOTSUP { return nil }
      throw Failure(path: path, code: errno)
    }
    var bytes = [UInt8](repeating: 0, count: size)
    let read = bytes.withUnsafeMutableBytes { fgetxattr(descriptor, name, $0.baseAddress, $0.count) }
    if read < 0 { throw Failure(path: path, code: errno) }
    return LocalObjectAttributes(json: Array(bytes.prefix(read)))
  }
}
