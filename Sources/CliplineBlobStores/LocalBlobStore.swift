import Foundation
import CliplineHashing
import CliplineRecords
import CliplineSystem

/// `file:///…`, the embedded default: the same operations and fields as the cloud stores. Writes are atomic
/// (temporary file, fsync, rename): a reader sees the old file or the whole new one, never a part. Tags and
/// expiry live in a hidden sidecar (`.<name>.clipline.json`) next to the file.
public struct LocalBlobStore: BlobStore {
  public init() {}

  func path(_ location: BlobLocation) throws -> String {
    guard case .file(let path) = location else { throw SourceFetcher.UnsupportedSource(location: location) }
    return path
  }

  static func sidecar(_ path: String) -> String {
    let directory = (path as NSString).deletingLastPathComponent
    return (directory as NSString).appendingPathComponent(".\((path as NSString).lastPathComponent).clipline.json")
  }

  static func isSidecarOrPartial(_ name: String) -> Bool {
    name.hasPrefix(".") && (name.hasSuffix(".clipline.json") || name.contains(".partial-"))
  }

  public func put(file: String, to location: BlobLocation, options: BlobPutOptions) throws -> StoredBlob {
    let destination = try path(location)
    guard let input = FileHandle(forReadingAtPath: file) else { throw MissingLocalFile(path: file) }
    defer { try? input.close() }
    _ = try localFileSize(file)
    let atomic = try AtomicFile(destination: destination)
    defer { atomic.discard() }
    guard FileManager.default.createFile(atPath: atomic.temporaryPath, contents: nil),
      let output = FileHandle(forWritingAtPath: atomic.temporaryPath)
    else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: destination]) }
    let sha = try Digest(.sha256)
    let md5 = try Digest(.md5)
    var bytes: Int64 = 0
    do {
      defer { try? output.close() }
      while let data = try input.read(upToCount: 1 << 20), !data.isEmpty {
        sha.update(data)
        md5.update(data)
        try output.write(contentsOf: data)
        bytes += Int64(data.count)
      }
    }
    let sha256 = sha.finish().hexString
    let etag = md5.finish().hexString
    try writeSidecar(for: destination, tags: options.allTags, sha256: sha256)
    try atomic.commit()
    return StoredBlob(location: location, bytes: bytes, etag: etag, sha256: sha256)
  }

  func writeSidecar(for destination: String, tags: [String: String], sha256: String) throws {
    let sidecar = Self.sidecar(destination)
    var object: [String: JSONValue] = ["sha256": .string(sha256)]
    if !tags.isEmpty { object["tags"] = .object(tags.mapValues { .string($0) }) }
    let atomic = try AtomicFile(destination: sidecar)
    defer { atomic.discard() }
    guard
      FileManager.default.createFile(
        atPath: atomic.temporaryPath, contents: Data(JSONSerializer.bytes(.object(object))))
    else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: sidecar]) }
    try atomic.commit()
  }

  func readSidecar(_ path: String) -> (tags: [String: String], sha256: String?) {
    guard let data = FileManager.default.contents(atPath: Self.sidecar(path)),
      case .object(let object)? = try? JSONParser.parse(Array(data))
    else { return ([:], nil) }
    let tags = (object["tags"]?.objectValue ?? [:]).compactMapValues { $0.stringValue }
    return (tags, object["sha256"]?.stringValue)
  }

  public func get(_ location: BlobLocation, to destination: String) throws -> BlobInfo {
    let source = try path(location)
    guard let info = try head(location) else { throw MissingLocalFile(path: source) }
    let atomic = try AtomicFile(destination: destination)
    defer { atomic.discard() }
    try FileManager.default.copyItem(atPath: source, toPath: atomic.temporaryPath)
    try atomic.commit()
    return info
  }

  public func head(_ location: BlobLocation) throws -> BlobInfo? {
    let path = try self.path(location)
    var status = stat()
    guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
    let sidecar = readSidecar(path)
    return BlobInfo(
      location: location, bytes: Int64(status.st_size), etag: nil,
      expiresAt: sidecar.tags[BlobPutOptions.expiryTag].flatMap(RFC3339.parse), sha256: sidecar.sha256)
  }

  public func delete(_ location: BlobLocation) throws {
    let path = try self.path(location)
    if unlink(path) != 0, errno != ENOENT {
      throw BlobStoreError("delete of", location, POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO))
    }
    unlink(Self.sidecar(path))
  }

  /// A local file needs no signature: its "presigned URL" is its path.
  public func presignedURL(for location: BlobLocation, method: PresignMethod, expires: TimeInterval) throws -> String {
    try path(location)
  }

  /// Files under the prefix: a directory (everything below it) or a path prefix within one directory.
  public func list(prefix location: BlobLocation) throws -> [BlobInfo] {
    let prefix = try path(location)
    var isDirectory: ObjCBool = false
    let root: String
    if FileManager.default.fileExists(atPath: prefix, isDirectory: &isDirectory), isDirectory.boolValue {
      root = prefix
    } else {
      root = (prefix as NSString).deletingLastPathComponent
    }
    guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
    var found: [BlobInfo] = []
    while let relative = walker.nextObject() as? String {
      let full = (root as NSString).appendingPathComponent(relative)
      guard full.hasPrefix(prefix), !Self.isSidecarOrPartial((relative as NSString).lastPathComponent),
        let info = try head(.file(path: full))
      else { continue }
      found.append(info)
    }
    return found.sorted { $0.location.description < $1.location.description }
  }
}
