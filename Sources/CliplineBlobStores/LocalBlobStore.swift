import CliplineCrypto
import CliplineRecords
import CliplineSystem
import Foundation

/// `file:///…`, the embedded default: the same operations and fields as the cloud stores. Writes are atomic
/// (temporary file, fsync, rename): a reader sees the old file or the whole new one, never a part. The SHA-256 and
/// the tags (expiry included) travel with the file as its `user.clipline` extended attribute, set before the rename
/// (see `LocalObjectAttributes`), and a download checks the bytes against that SHA-256, as S3 and Azure downloads do.
public struct LocalBlobStore: BlobStore {
  public init() {}

  func path(_ location: BlobLocation) throws -> String {
    guard case .file(let path) = location else { throw UnsupportedLocation(location: location) }
    return path
  }

  /// Where earlier versions kept tags and the SHA-256 (`.<name>.clipline.json`); still read when a file has no
  /// attribute, removed with the file.
  static func legacySidecar(_ path: String) -> String {
    let directory = (path as NSString).deletingLastPathComponent
    return (directory as NSString).appendingPathComponent(".\((path as NSString).lastPathComponent).clipline.json")
  }

  static func isSidecarOrPartial(_ name: String) -> Bool {
    name.hasPrefix(".") && (name.hasSuffix(".clipline.json") || name.contains(".partial-"))
  }

  public func put(_ body: BlobBody, to location: BlobLocation, options: BlobPutOptions) throws -> StoredBlob {
    switch body {
    case .file(let file): return try put(file: file, to: location, options: options)
    case .memory(let bytes): return try putStreamed(bytes, to: location, options: options)
    }
  }

  func put(file: String, to location: BlobLocation, options: BlobPutOptions) throws -> StoredBlob {
    let destination = try path(location)
    let input = try MissingLocalFile.opening(file)
    defer { try? input.close() }
    _ = try localFileSize(file)
    let copied = try CopiedBytes.copyAtomically(input, to: destination, md5: true) { copied, output in
      try options.checkKnownDigest(
        FileDigests(sha256: copied.sha256, md5: [], bytes: copied.bytes), location: location)
      try LocalObjectAttributes(sha256: copied.sha256.hexString, tags: options.allTags)
        .write(to: output.fileDescriptor, path: destination)
    }
    return StoredBlob(
      location: location, bytes: copied.bytes, etag: copied.md5.hexString, sha256: copied.sha256.hexString)
  }

  /// Copies the object and checks its bytes against the SHA-256 recorded at upload: a file changed since (or a
  /// torn copy) is a 65 and leaves nothing at `destination`. Attribute and bytes come from one open file, so a
  /// writer replacing the object meanwhile cannot mix two versions.
  public func get(_ location: BlobLocation, to destination: String) throws -> BlobInfo {
    let source = try path(location)
    let input = try MissingLocalFile.opening(source)
    defer { try? input.close() }
    guard let info = try info(of: input, location: location) else { throw MissingLocalFile(path: source) }
    let copied = try CopiedBytes.copyAtomically(input, to: destination, md5: false) { copied, _ in
      if let recorded = info.sha256, recorded != copied.sha256.hexString {
        throw BlobIntegrityError(
          location: location,
          reason: "its SHA-256 is \(copied.sha256.hexString), not the \(recorded) recorded at upload")
      }
    }
    return BlobInfo(
      location: location, bytes: copied.bytes, etag: nil, expiresAt: info.expiresAt, sha256: copied.sha256.hexString)
  }

  public func head(_ location: BlobLocation) throws -> BlobInfo? {
    let path = try self.path(location)
    let handle: FileHandle
    do {
      handle = try LocalFile.openForReading(path)
    } catch let error as FileSystemError where error.code == ENOENT || error.code == ENOTDIR {
      return nil
    }
    defer { try? handle.close() }
    return try info(of: handle, location: location)
  }

  /// Size, SHA-256 and expiry of an open file; nil when it is not a regular file.
  func info(of handle: FileHandle, location: BlobLocation) throws -> BlobInfo? {
    var status = stat()
    guard fstat(handle.fileDescriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
    let path = try self.path(location)
    let attributes =
      try LocalObjectAttributes.read(from: handle.fileDescriptor, path: path)
      ?? FileManager.default.contents(atPath: Self.legacySidecar(path)).flatMap {
        LocalObjectAttributes(json: Array($0))
      }
    return BlobInfo(
      location: location, bytes: Int64(status.st_size), etag: nil,
      expiresAt: attributes?.tags[BlobPutOptions.expiryTag].flatMap(RFC3339.parse), sha256: attributes?.sha256)
  }

  public func delete(_ location: BlobLocation) throws {
    let path = try self.path(location)
    if unlink(path) != 0, errno != ENOENT {
      throw BlobStoreError("delete of", location, SystemCallError(call: "unlink \(path)", code: errno))
    }
    unlink(Self.legacySidecar(path))
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

/// One pass over a file: copied to another while its SHA-256 (and MD5, the local ETag) are computed.
struct CopiedBytes {
  let bytes: Int64
  let sha256: [UInt8]
  let md5: [UInt8]

  /// Copies `input` into a temporary file next to `destination`, lets `check` refuse the copy (or add to the open
  /// file), then renames it into place; a refusal leaves nothing behind.
  static func copyAtomically(
    _ input: FileHandle, to destination: String, md5: Bool, check: (CopiedBytes, FileHandle) throws -> Void
  ) throws -> CopiedBytes {
    let atomic = try AtomicFile(destination: destination)
    defer { atomic.discard() }
    let output = try atomic.create()
    let copied: CopiedBytes
    do {
      defer { try? output.close() }
      copied = try copy(from: input, to: output, md5: md5)
      try check(copied, output)
    }
    try atomic.commit()
    return copied
  }

  static func copy(from input: FileHandle, to output: FileHandle, md5 wantsMD5: Bool) throws -> CopiedBytes {
    let sha = try Digest(.sha256)
    let md5 = wantsMD5 ? try Digest(.md5) : nil
    var bytes: Int64 = 0
    while let data = try input.read(upToCount: 1 << 20), !data.isEmpty {
      sha.update(data)
      md5?.update(data)
      try output.write(contentsOf: data)
      bytes += Int64(data.count)
    }
    return CopiedBytes(bytes: bytes, sha256: sha.finish(), md5: md5?.finish() ?? [])
  }
}
